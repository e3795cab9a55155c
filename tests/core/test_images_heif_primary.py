"""An HEIF file holding several pictures is read as its primary one, the picture viewers show,
which is not always the first stored: its code, its thumbnail and its size all come from it."""

from __future__ import annotations

import io

import numpy as np
import pillow_heif
from PIL import Image

from desktop_app.core import images

RED = Image.fromarray(np.full((400, 600, 3), (200, 30, 30), np.uint8))
BLUE = Image.fromarray(np.full((300, 500, 3), (30, 30, 200), np.uint8))


def _two_pictures_second_primary() -> bytes:
    heif = pillow_heif.from_pillow(RED)
    heif.add_from_pillow(BLUE)
    buffer = io.BytesIO()
    heif.save(buffer, quality=90, thumbnails=[200], primary_index=1)
    data = buffer.getvalue()
    assert pillow_heif.open_heif(io.BytesIO(data)).primary_index == 1
    return data


def _colour(image: Image.Image) -> tuple[int, ...]:
    return tuple(int(v) for v in np.asarray(image).reshape(-1, 3).mean(axis=0).round())


def test_the_primary_picture_is_decoded_not_the_first(tmp_path):
    data = _two_pictures_second_primary()
    for display_edge in (None, 150):
        image, width, height = images.decode(data, tmp_path / "pair.heic", min_size=(150, 150),
                                             display_edge=display_edge)
        assert (width, height) == (500, 300)
        assert np.allclose(_colour(image), (30, 30, 200), atol=8), display_edge
    # The grid's picture is the primary's embedded thumbnail (200x120), not a full decode.
    shown, _, _ = images.decode(data, tmp_path / "pair.heic", display_edge=150)
    assert shown.size == (200, 120)
    full, _, _ = images.decode(data, tmp_path / "pair.heic")
    assert full.size == (500, 300)
