"""A camera raw file's grid thumbnail is the picture the camera embedded in it (what its screen
showed), turned upright by the raw's own orientation; a raw without one shows its sensor data,
developed (upright too)."""

from __future__ import annotations

import numpy as np
import pytest
import rawpy
from photos import make_camera_raw, sample_image
from PIL import Image
from qt_pictures import rgb_picture

from desktop_app.ui.thumbnails import make_thumbnail

CAT = sample_image("chelsea")  # 451x300: not square and not symmetric


def _difference(seen: Image.Image, expected: Image.Image) -> float:
    expected = expected.resize(seen.size, Image.Resampling.BOX)
    return float(np.abs(np.asarray(seen, np.int16) - np.asarray(expected, np.int16)).mean())


def _developed(path) -> Image.Image:
    """The raw's sensor data as LibRaw develops it (upright: it applies the raw's flip)."""
    with rawpy.imread(str(path)) as raw:
        return Image.fromarray(raw.postprocess(half_size=True, use_camera_wb=True,
                                               output_bps=8))


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
@pytest.mark.parametrize("preview_orientation", [None, 1])
def test_the_embedded_picture_is_shown_upright(tmp_path, orientation, preview_orientation):
    # preview_orientation: some cameras give their embedded JPEG an EXIF of its own saying 1,
    # though it is stored as the sensor lies: the raw's orientation is the one to follow.
    path = make_camera_raw(tmp_path / f"DSC_000{orientation}.NEF", "chelsea", orientation,
                           preview_side=1024, preview_orientation=preview_orientation)
    seen = rgb_picture(make_thumbnail(str(path), 160, None))
    assert seen.size == (160, 107)  # upright: the photo is landscape, however the camera lay
    assert _difference(seen, CAT) < 12
    for wrong in (Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.ROTATE_180):
        assert _difference(seen, CAT.transpose(wrong)) > 25, wrong
    # The camera's picture, not the sensor data developed (whose colours here are far off).
    developed = _developed(path)
    assert developed.size == (224, 150) or developed.size == (225, 150)
    assert _difference(seen, developed) > 40
    # Bigger than the developed half-size picture: only the embedded one is that big.
    big = rgb_picture(make_thumbnail(str(path), 400, None))
    assert big.size == (400, 266) and _difference(big, CAT) < 12


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_a_raw_without_an_embedded_picture_shows_its_sensor_data_upright(tmp_path,
                                                                         orientation):
    path = make_camera_raw(tmp_path / "IMG_0001.dng", "chelsea", orientation, preview_side=None)
    seen = rgb_picture(make_thumbnail(str(path), 160, None))
    assert seen.size == (160, 107)
    developed = _developed(path)
    assert _difference(seen, developed) < 8
    assert _difference(seen, developed.transpose(Image.Transpose.ROTATE_180)) > 25
