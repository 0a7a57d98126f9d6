"""Photos for the demo's rental listings, drawn with Pillow (no real flat, no real person): a room seen from the
door, with its window, bed or bunk beds, desk and wardrobe, in a few colour schemes per room kind.

Each picture goes through shijiao.images.clean_image like an upload and is stored once; listings share them.
"""

from __future__ import annotations

import io
import random

from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from shijiao.images import clean_image

WIDTH, HEIGHT = 800, 600
VARIANTS = 4
WALLS = [(236, 232, 222), (226, 233, 238), (240, 236, 228), (232, 238, 230)]
FLOORS = [(176, 140, 102), (190, 190, 186), (160, 124, 92), (204, 196, 180)]
BEDDING = [(96, 140, 196), (212, 120, 110), (120, 170, 130), (230, 200, 120), (150, 130, 190)]


def _room(rng: random.Random, kind: str, variant: int) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), WALLS[variant % len(WALLS)])
    draw = ImageDraw.Draw(image)
    floor = FLOORS[variant % len(FLOORS)]
    # Floor in perspective, back wall, ceiling line.
    draw.polygon([(0, HEIGHT), (WIDTH, HEIGHT), (620, 400), (180, 400)], fill=floor)
    draw.polygon([(0, 0), (180, 80), (180, 400), (0, HEIGHT)], fill=tuple(max(0, c - 18) for c in WALLS[variant]))
    draw.polygon(
        [(WIDTH, 0), (620, 80), (620, 400), (WIDTH, HEIGHT)], fill=tuple(max(0, c - 10) for c in WALLS[variant])
    )
    for x in range(180, 620, 40):  # floor boards
        draw.line([(x, 400), (x + (x - 400) * 1.1, HEIGHT)], fill=tuple(max(0, c - 20) for c in floor), width=1)
    # Window with sky and the industrial park's roofs.
    draw.rectangle([300, 130, 500, 290], fill=(170, 205, 235), outline=(250, 250, 250), width=8)
    draw.rectangle([320, 230, 380, 290], fill=(150, 150, 160))
    draw.rectangle([400, 210, 480, 290], fill=(135, 140, 150))
    draw.line([(400, 130), (400, 290)], fill=(250, 250, 250), width=6)
    draw.rectangle([290, 120, 312, 300], fill=(200, 190, 170))  # curtain
    # Ceiling lamp.
    draw.ellipse([370, 30, 430, 52], fill=(255, 250, 225), outline=(220, 210, 190))
    bedding = BEDDING[(variant + rng.randint(0, 9)) % len(BEDDING)]
    if kind == "dorm":
        for x0 in (20, 470):  # two bunk beds, desks below the upper bunks of the others
            draw.rectangle([x0, 250, x0 + 310, 262], fill=(120, 120, 125))
            draw.rectangle([x0, 250, x0 + 310, 290], outline=(120, 120, 125), width=4)
            draw.rectangle([x0 + 6, 228, x0 + 304, 252], fill=bedding)
            draw.rectangle([x0, 430, x0 + 310, 470], fill=(120, 120, 125))
            draw.rectangle([x0 + 6, 405, x0 + 304, 432], fill=bedding)
            for leg in (x0, x0 + 306):
                draw.rectangle([leg, 200, leg + 6, 560], fill=(110, 110, 115))
            draw.line([(x0 + 40, 260), (x0 + 40, 430)], fill=(110, 110, 115), width=4)  # ladder
    else:
        beds = 2 if kind == "double" else 1
        for i in range(beds):
            x0 = 30 + i * 420
            draw.rectangle([x0, 420, x0 + 320, 520], fill=(150, 110, 80))
            draw.rectangle([x0 + 8, 395, x0 + 312, 440], fill=bedding)
            draw.rectangle([x0 + 12, 380, x0 + 90, 405], fill=(245, 245, 240))  # pillow
        if beds == 1:
            draw.rectangle([520, 380, 700, 400], fill=(185, 150, 110))  # desk
            draw.rectangle([530, 400, 545, 500], fill=(160, 125, 90))
            draw.rectangle([675, 400, 690, 500], fill=(160, 125, 90))
            draw.rectangle([570, 330, 640, 380], fill=(60, 60, 70))  # monitor / TV
        if kind == "suite":
            draw.rectangle([640, 200, 760, 420], fill=(210, 210, 205), outline=(170, 170, 165), width=3)  # fridge
    draw.rectangle([200, 160, 270, 400], fill=(200, 170, 130), outline=(160, 130, 95), width=3)  # wardrobe
    draw.rectangle([560, 60, 640, 90], fill=(240, 240, 240))  # air conditioner
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def room_photos(rng: random.Random) -> dict[str, list[tuple[str, str, int, int]]]:
    """Kind -> [(image path, thumbnail path, width, height)]: the stored pictures listings may use."""
    out: dict[str, list[tuple[str, str, int, int]]] = {}
    for kind in ("single", "double", "suite", "dorm"):
        out[kind] = []
        for variant in range(VARIANTS):
            clean = clean_image(_room(rng, kind, variant), name=f"demo-{kind}-{variant}.jpg")
            image = default_storage.save(f"services/demo/{clean.content.name}", clean.content)
            thumbnail = default_storage.save(f"services/demo/{clean.thumbnail.name}", clean.thumbnail)
            out[kind].append((image, thumbnail, clean.width, clean.height))
    return out
