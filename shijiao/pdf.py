"""The CJK font every PDF of the platform is set in (the weekly report, the inspection report, the QR posters).

A TrueType font is embedded (reportlab writes a subset: only the glyphs used, ~20 KB for a report), so a report
reads the same on any reader, phone or printer. ``PDF_CJK_FONT`` (settings, environment) names a .ttf/.ttc with
TrueType outlines; without it the first of the usual system paths that exists (Debian/Ubuntu ``fonts-wqy-microhei``,
``fonts-wqy-zenhei``, ``fonts-arphic-uming``; Fedora's WenQuanYi). Noto CJK ships CFF outlines, which reportlab
cannot embed. Without any, the PDFs name Adobe's STSong-Light without embedding it (Acrobat and most readers
substitute it, a reader without CJK fonts shows boxes) and a warning says what to install.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

EMBEDDED = "ShijiaoCJK"
NOT_EMBEDDED = "STSong-Light"
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
)


def cjk_font_path() -> str:
    """The TrueType font file the PDFs embed, or "" when there is none."""
    configured = getattr(settings, "PDF_CJK_FONT", "")
    if configured:
        return configured
    return next((path for path in SYSTEM_FONTS if Path(path).is_file()), "")


@functools.cache
def cjk_font() -> str:
    """Register the PDFs' font with reportlab (once per process) and answer its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    path = cjk_font_path()
    if path:
        try:
            pdfmetrics.registerFont(TTFont(EMBEDDED, path, subfontIndex=0))
            return EMBEDDED
        except (TTFError, OSError) as exc:
            log.warning("PDF font %s cannot be embedded (%s): PDFs name STSong-Light instead", path, exc)
    else:
        log.warning("no CJK TrueType font (apt-get install fonts-wqy-microhei, or set PDF_CJK_FONT): "
                    "PDFs name STSong-Light without embedding it")  # fmt: skip
    pdfmetrics.registerFont(UnicodeCIDFont(NOT_EMBEDDED))
    return NOT_EMBEDDED
