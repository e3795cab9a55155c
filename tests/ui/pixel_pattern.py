"""A picture whose every pixel says where in the photo it is, to check which photo pixel the
screen shows where (zoom at 100%, on a screen of scale 1 or 2)."""

from __future__ import annotations

import numpy as np
from PIL import Image


def pattern(width: int, height: int) -> Image.Image:
    """Red the column's low byte, green the row's, blue their high bytes (photos up to 4096
    pixels a side)."""
    x, y = np.meshgrid(np.arange(width), np.arange(height))
    rgb = np.stack([x & 255, y & 255, (x >> 8) * 16 + (y >> 8)], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


def where_shown(rgb) -> tuple[int, int]:
    """The photo pixel (column, row) a pixel of the pattern is."""
    red, green, blue = (int(c) for c in rgb)
    return (blue // 16) * 256 + red, (blue % 16) * 256 + green
