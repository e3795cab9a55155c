"""The edits people make to photos, as the default-model benchmark applies them.

Each edit takes an RGB PIL image and a numpy Generator and returns the edited image plus the
keyword arguments to save it with (the EXIF-rotation edit stores turned pixels and an Orientation
tag, so the app must read the tag to see the photo upright again).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont

Edit = Callable[[Image.Image, np.random.Generator], tuple[Image.Image, dict]]

JPEG = {"format": "JPEG", "quality": 90}


def resaved_smaller(im: Image.Image, rng: np.random.Generator):
    """Half size, saved again as a low-quality JPEG (what messengers and e-mail do)."""
    w, h = im.size
    small = im.resize((max(16, w // 2), max(16, h // 2)), Image.Resampling.LANCZOS)
    return small, {"format": "JPEG", "quality": 60}


def cropped(im: Image.Image, rng: np.random.Generator):
    """A crop keeping 70-85 % of each side, anywhere in the frame."""
    w, h = im.size
    fw, fh = rng.uniform(0.70, 0.85, size=2)
    cw, ch = round(w * fw), round(h * fh)
    left, top = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    return im.crop((left, top, left + cw, top + ch)), JPEG


def exif_rotated(im: Image.Image, rng: np.random.Generator):
    """Pixels stored turned by 90 degrees with EXIF Orientation 6 or 8, as phones save them."""
    exif = Image.Exif()
    if rng.random() < 0.5:
        stored, exif[0x0112] = im.transpose(Image.Transpose.ROTATE_90), 6  # viewer turns it CW
    else:
        stored, exif[0x0112] = im.transpose(Image.Transpose.ROTATE_270), 8  # viewer turns it CCW
    return stored, {**JPEG, "exif": exif.tobytes()}


def brightened(im: Image.Image, rng: np.random.Generator):
    return ImageEnhance.Brightness(im).enhance(float(rng.uniform(1.25, 1.45))), JPEG


def watermarked(im: Image.Image, rng: np.random.Generator):
    """A semi-transparent copyright line and logo box in a lower corner."""
    w, h = im.size
    layer = Image.new("RGBA", im.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    size = max(10, int(h * 0.07))
    font = ImageFont.load_default(size=size)
    text = "\u00a9 2024 J. Doe Photography"
    tw = draw.textlength(text, font=font)
    right = rng.random() < 0.5
    x = w - tw - size * 1.5 if right else size * 1.5
    y = h - size * 2.0
    box = size
    bx = x - box * 1.3  # the logo box sits just left of the text
    draw.rectangle((bx, y, bx + box, y + box), fill=(255, 255, 255, 150))
    draw.text((x, y), text, font=font, fill=(255, 255, 255, 170))
    return Image.alpha_composite(im.convert("RGBA"), layer).convert("RGB"), JPEG


def padded(im: Image.Image, rng: np.random.Generator):
    """Borders all round and the frame made square (or 4:3 if it already was), as for posting."""
    w, h = im.size
    border = round(0.08 * max(w, h))
    if abs(w - h) <= 2:
        nw, nh = round((w + 2 * border) * 4 / 3), h + 2 * border
    else:
        nw = nh = max(w, h) + 2 * border
    colour = (255, 255, 255) if rng.random() < 0.5 else (0, 0, 0)
    out = Image.new("RGB", (nw, nh), colour)
    out.paste(im, ((nw - w) // 2, (nh - h) // 2))
    return out, JPEG


def tilted(im: Image.Image, rng: np.random.Generator):
    """Turned by 2-5 degrees and cropped to the largest upright rectangle (a straighten tool)."""
    angle = float(rng.uniform(2.0, 5.0)) * (1 if rng.random() < 0.5 else -1)
    w, h = im.size
    rotated = im.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False)
    a = math.radians(abs(angle))
    # Largest axis-aligned rectangle of the same aspect inside the turned frame.
    scale = 1.0 / (math.cos(a) + math.sin(a) * max(w, h) / min(w, h))
    cw, ch = int(w * scale), int(h * scale)
    left, top = (w - cw) // 2, (h - ch) // 2
    return rotated.crop((left, top, left + cw, top + ch)), JPEG


def mirrored(im: Image.Image, rng: np.random.Generator):
    return im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), JPEG


EDITS: dict[str, Edit] = {
    "resaved_smaller": resaved_smaller,
    "cropped": cropped,
    "exif_rotated": exif_rotated,
    "brightened": brightened,
    "watermarked": watermarked,
    "padded": padded,
    "tilted": tilted,
    "mirrored": mirrored,
}


def write_edit(im: Image.Image, kind: str, out_path: Path, seed: int) -> Path:
    """Apply edit `kind` to `im` (seeded) and save it as a JPEG at `out_path`."""
    rng = np.random.default_rng(seed)
    edited, save = EDITS[kind](im.convert("RGB"), rng)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    edited.save(out_path, **save)
    return out_path
