"""An HEIC photo's grid thumbnail comes from the small picture the phone embedded in the file (a
few ms instead of about a second for a 12 MP photo), turned as the photo is; codes never do."""

from __future__ import annotations

import numpy as np
import pillow_heif
import pytest
from photos import exif_bytes, sample_image, stored_turned
from PIL import Image
from qt_pictures import rgb_picture

from desktop_app.core import images
from desktop_app.ui.thumbnails import make_thumbnail

CAT = sample_image("chelsea").resize((600, 400))  # not square and not symmetric


def _heic(path, orientation: int = 1, thumbnails=(200,)):
    stored_turned(CAT, orientation).save(path, "HEIF", quality=90, exif=exif_bytes(orientation),
                                         thumbnails=list(thumbnails))
    return path


def _difference(seen: Image.Image, expected: Image.Image) -> float:
    expected = expected.resize(seen.size, Image.Resampling.BOX)
    return float(np.abs(np.asarray(seen, np.int16) - np.asarray(expected, np.int16)).mean())


@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_embedded_thumbnail_is_shown_turned_as_the_photo(tmp_path, orientation):
    path = _heic(tmp_path / f"turned{orientation}.heic", orientation)
    seen = rgb_picture(make_thumbnail(str(path), 150, None))
    # Exactly the embedded picture, fitted to the cell...
    embedded = pillow_heif.open_heif(path)[0].get_thumbnail(0).to_pillow().convert("RGB")
    embedded.thumbnail((150, 150))
    assert np.array_equal(np.asarray(seen), np.asarray(embedded))
    # ...and it is the photo as a viewer shows it: upright, in proportion, like the full decode.
    assert abs(seen.width - 150) <= 1 and abs(seen.height - 100) <= 1  # its own rounding
    full, _, _ = images.decode(path.read_bytes(), path)
    assert full.size == (600, 400)
    assert _difference(seen, CAT) < 12 and _difference(seen, full) < 12
    for wrong in (Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.ROTATE_180):
        assert _difference(seen, CAT.transpose(wrong)) > 30, wrong


def test_codes_and_too_small_thumbnails_use_the_photo_itself(tmp_path):
    path = _heic(tmp_path / "phone.heic", 6)
    data = path.read_bytes()
    # Shown: the embedded 200x133 picture (turned upright like the photo) stands in for it.
    shown, width, height = images.decode(data, path, display_edge=150)
    assert shown.width == 200 and abs(shown.height - 133) <= 1 and (width, height) == (600, 400)
    # Encoded: always the photo (the codes must not depend on what the phone embedded).
    assert images.decode(data, path, min_size=(224, 224))[0].size == (600, 400)
    assert images.load_photo(path, min_size=(224, 224)).image.size == (600, 400)
    # An embedded thumbnail smaller than the cell would look blurred: the photo is decoded.
    image, width, height = images.decode(data, path, display_edge=250)
    assert image.size == (width, height) == (600, 400)
    assert rgb_picture(make_thumbnail(str(path), 250, None)).size == (250, 167)
