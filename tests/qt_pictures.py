"""What a QImage holds, as a PIL picture the tests can compare."""

from __future__ import annotations

import numpy as np
from PIL import Image


def rgb_picture(image) -> Image.Image:
    """The RGB pixels of a QImage (rows are padded to 4 bytes in Qt: the padding is cut)."""
    image = image.convertToFormat(image.Format.Format_RGB888)
    rows = np.frombuffer(bytes(image.constBits()), np.uint8).reshape(image.height(), -1)
    return Image.fromarray(rows[:, :3 * image.width()].reshape(image.height(), -1, 3).copy())
