"""Registration QR codes of blocks and rooms (扫码登记), and the printable poster of a block.

A code is a link ``{SITE_URL}/h5/#/scan?code=<token>``; the token names the room (``r<id>``) or the block
(``a<id>``) and is signed with the server's key (Django signing, own salt), so a code printed by another
street's system, or edited by hand, is refused. The codes never expire: they are printed and glued to doors.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import segno
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from apartments.models import Apartment, Room
from shijiao.pdf import cjk_font

SALT = "apartments.registration-qr.v1"


class QrInvalid(ValueError):
    """The scanned text is not a registration code of this street; ``str()`` is the message for the user."""


@dataclass(frozen=True)
class Scanned:
    apartment: Apartment
    room: Room | None


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def token_for(target: Apartment | Room) -> str:
    prefix = "r" if isinstance(target, Room) else "a"
    return _signer().sign(f"{prefix}{target.pk}")


def link_for(target: Apartment | Room) -> str:
    """What the QR code holds: a link the mini-program and the H5 client both open."""
    return f"{settings.SITE_URL.rstrip('/')}/h5/#/scan?code={token_for(target)}"


def parse(text: str) -> Scanned:
    """The block (and room) a scanned code stands for; raises QrInvalid with a message for the resident."""
    text = (text or "").strip()
    if not text:
        raise QrInvalid(_("请扫描房间或公寓门口的登记二维码"))
    token = text
    if "code=" in text:  # the whole link: take the code from the query (after "#/scan?")
        query = urlsplit(text.split("#", 1)[-1]).query or urlsplit(text).query
        token = (parse_qs(query).get("code") or [""])[0]
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        raise QrInvalid(_("这不是本街道的登记二维码, 请扫描所住房间门上的二维码")) from None
    kind, pk = value[:1], value[1:]
    if not pk.isdigit():
        raise QrInvalid(_("这不是本街道的登记二维码, 请扫描所住房间门上的二维码"))
    if kind == "r":
        room = Room.objects.select_related("apartment").filter(pk=int(pk)).first()
        if room is None or not room.apartment.is_active:
            raise QrInvalid(_("该房间已不在系统中, 请联系物业"))
        return Scanned(apartment=room.apartment, room=room)
    if kind == "a":
        apartment = Apartment.objects.filter(pk=int(pk), is_active=True).first()
        if apartment is None:
            raise QrInvalid(_("该公寓已不在系统中, 请联系物业"))
        return Scanned(apartment=apartment, room=None)
    raise QrInvalid(_("这不是本街道的登记二维码, 请扫描所住房间门上的二维码"))


def svg_data_uri(target: Apartment | Room) -> str:
    """The code as an SVG data URI (for the door screen and the H5 client)."""
    return segno.make(link_for(target), error="m").svg_data_uri(scale=4, border=2)


def poster_pdf(apartment: Apartment) -> bytes:
    """An A4 PDF: page 1 the block's code (door screen / entrance), then every room's code, 12 a page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = cjk_font()

    def png(target: Apartment | Room) -> ImageReader:
        out = io.BytesIO()
        segno.make(link_for(target), error="m").save(out, kind="png", scale=10, border=2)
        out.seek(0)
        return ImageReader(out)

    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{apartment.name} 登记二维码")
    pdf.setFont(font, 26)
    pdf.drawCentredString(width / 2, height - 40 * mm, apartment.name)
    pdf.setFont(font, 18)
    pdf.drawCentredString(width / 2, height - 52 * mm, "新市民请扫码登记 / Scan to register")
    side = 120 * mm
    pdf.drawImage(png(apartment), (width - side) / 2, height - 60 * mm - side, side, side)
    pdf.setFont(font, 12)
    pdf.drawCentredString(width / 2, height - 70 * mm - side, apartment.address)
    pdf.drawCentredString(
        width / 2, height - 78 * mm - side, "微信扫码 → 实名信息 → 选择房间 → 物业确认 → 自动办理居住登记"
    )
    pdf.showPage()
    rooms = list(apartment.rooms.order_by("floor", "number"))
    columns, rows, cell = 3, 4, 60 * mm
    left = (width - columns * cell) / 2
    top = height - 20 * mm
    for index, room in enumerate(rooms):
        slot = index % (columns * rows)
        if slot == 0:
            pdf.setFont(font, 11)
            pdf.drawString(left, height - 12 * mm, f"{apartment.name} · 房间登记二维码 (贴于房门内侧)")
        col, row = slot % columns, slot // columns
        x, y = left + col * cell, top - (row + 1) * cell
        pdf.drawImage(png(room), x + 8 * mm, y + 10 * mm, cell - 16 * mm, cell - 16 * mm)
        pdf.setFont(font, 12)
        pdf.drawCentredString(x + cell / 2, y + 4 * mm, f"{room.number} 室 · 扫码登记")
        if slot == columns * rows - 1 or index == len(rooms) - 1:
            pdf.showPage()
    pdf.save()
    return buffer.getvalue()
