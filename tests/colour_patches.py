"""Pictures of flat colour patches, the mean colour of each patch in what is shown of them, and
the textbook maths (no LittleCMS) the display-colour tests of the core and the app check that
against: white points, primaries, RGB to XYZ, a D65 space's colour in sRGB."""

from __future__ import annotations

import numpy as np
from PIL import Image

D65 = (0.3127, 0.3290)
SRGB_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))
P3_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
BT2020_PRIMARIES = ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046))

# Flat patches of colours all these spaces hold, mid-saturated as in real photos.
PATCHES = ((128, 200, 64), (200, 80, 60), (60, 90, 200), (150, 130, 110))
# As many with a dark one last: transfer curves differ most in dark tones.
PATCHES_WITH_DARK = ((128, 200, 64), (200, 80, 60), (60, 90, 200), (32, 40, 28))


def patches(colours=PATCHES) -> Image.Image:
    """The `colours` side by side, 80 x 160 pixels each."""
    image = Image.new("RGB", (80 * len(colours), 160))
    for i, colour in enumerate(colours):
        image.paste(colour, (80 * i, 0, 80 * (i + 1), 160))
    return image


def patch_colours(picture: Image.Image) -> np.ndarray:
    """The mean colour of the middle of each patch of a thumbnail of `patches()`."""
    arr = np.asarray(picture, float)
    w, h = picture.width / len(PATCHES), picture.height
    return np.array([arr[h // 4:3 * h // 4, round(w * (i + 0.3)):round(w * (i + 0.7))]
                     .mean(axis=(0, 1)) for i in range(len(PATCHES))])


def xyz(xy) -> np.ndarray:
    """The XYZ of chromaticity `xy` at Y = 1."""
    x, y = xy
    return np.array([x / y, 1.0, (1 - x - y) / y])


def rgb_to_xyz(primaries, white=D65) -> np.ndarray:
    """Linear RGB -> XYZ under the space's own white (white maps to Y = 1)."""
    columns = np.stack([xyz(p) for p in primaries], axis=1)
    return columns * np.linalg.solve(columns, xyz(white))


def srgb_linear(v) -> np.ndarray:
    v = np.asarray(v, float) / 255
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def expected_srgb(rgb, primaries, linear=srgb_linear) -> np.ndarray:
    """The textbook conversion of a D65 space's colour to sRGB: to linear light by `linear`,
    to XYZ, to sRGB, clipped."""
    to_srgb = np.linalg.inv(rgb_to_xyz(SRGB_PRIMARIES)) @ rgb_to_xyz(primaries)
    out = np.clip(to_srgb @ linear(rgb), 0, 1)
    out = np.where(out <= 0.0031308, out * 12.92, 1.055 * out ** (1 / 2.4) - 0.055)
    return np.round(out * 255)
