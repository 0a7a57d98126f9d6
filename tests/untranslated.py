"""Checks that page sources and catalogs leave no Chinese untranslated (shared by the apps' i18n tests).

Chinese is the source language: every Chinese word of a template must sit in {% translate %} or
{% blocktranslate %} (or a ``_("...")`` literal), every Chinese string of a script in a gettext() call,
and every msgid of a catalog must have an English translation compiled into its .mo file.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHINESE = re.compile(r"[\u3400-\u9fff]")

_TEMPLATE_TRANSLATED = [
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S),
    re.compile(r"\{%\s*trans(?:late)?\s.*?%\}", re.S),
    re.compile(r"""_\(\s*(?:"[^"]*"|'[^']*')\s*\)"""),
]
_JS_STRING = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
_JS_TRANSLATED = [
    re.compile(r"/\*.*?\*/", re.S),
    re.compile(r"^\s*//.*$", re.M),
    re.compile(rf"\b(?:n?p?gettext)\(\s*{_JS_STRING}(?:\s*,\s*{_JS_STRING})*"),
]


def found(folder: Path, pattern: str) -> list[Path]:
    """The files of ``folder`` matching ``pattern``, sorted; fails when there are none, so a moved or renamed
    folder cannot make a check pass by checking nothing."""
    paths = sorted(folder.glob(pattern))
    assert paths, f"nothing to check: no {pattern} in {folder}"
    return paths


def _lines_with_chinese(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if CHINESE.search(line)]


def untranslated_in_template(path: Path) -> list[str]:
    """Lines of a Django template with Chinese outside the translation tags."""
    text = path.read_text(encoding="utf-8")
    for pattern in _TEMPLATE_TRANSLATED:
        text = pattern.sub("", text)
    return _lines_with_chinese(text)


def untranslated_in_script(path: Path) -> list[str]:
    """Lines of a script with Chinese outside gettext()/ngettext()/pgettext() calls and comments."""
    text = path.read_text(encoding="utf-8")
    for pattern in _JS_TRANSLATED:
        text = pattern.sub("", text)
    return _lines_with_chinese(text)


def _unquote(text: str) -> str:
    return "".join(
        bytes(part[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
        for part in re.findall(r'"(?:[^"\\]|\\.)*"', text)
    )


def catalog_problems(po: Path) -> list[str]:
    """Entries of a .po file that are fuzzy, untranslated, or missing from (or different in) its compiled .mo."""
    compiled = gettext.GNUTranslations(po.with_suffix(".mo").open("rb"))
    problems = []
    for entry in po.read_text(encoding="utf-8").strip().split("\n\n"):
        fields = dict(re.findall(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) ((?:".*"\n?)+)', entry + "\n", re.M))
        msgid = _unquote(fields.get("msgid", '""'))
        if not msgid:
            continue
        context = _unquote(fields["msgctxt"]) if "msgctxt" in fields else None
        if re.search(r"^#,.*\bfuzzy\b", entry, re.M):
            problems.append(f"fuzzy: {msgid}")
        if "msgid_plural" in fields:
            plural = _unquote(fields["msgid_plural"])
            wanted = [_unquote(fields.get(f"msgstr[{n}]", '""')) for n in (0, 1)]
            got = [
                compiled.npgettext(context, msgid, plural, n) if context else compiled.ngettext(msgid, plural, n)
                for n in (1, 2)
            ]
        else:
            wanted = [_unquote(fields.get("msgstr", '""'))]
            got = [compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)]
        if not all(wanted):
            problems.append(f"untranslated: {msgid}")
        elif got != wanted:
            problems.append(f"not compiled: {msgid}")
    return problems
