"""One rule for the BT.709 family of transfer curves (H.273 1, 6, 14, 15) in an nclx box or a
cICP chunk: they are shown as sRGB's curve with every set of primaries, as Chrome does. Before,
they were read as BT.709's inverted camera curve with Display P3 or BT.2020 primaries (dark
tones lifted by up to 16 levels) but as stored, so as sRGB, with BT.709 ones."""

from __future__ import annotations

import numpy as np
import pillow_heif
import pytest
from colour_patches import (
    BT2020_PRIMARIES,
    P3_PRIMARIES,
    PATCHES_WITH_DARK,
    expected_srgb,
    patch_colours,
    patches,
)
from colour_tagged_files import png, shown

from desktop_app.core import display_colour

CAMERA_CURVES = (1, 6, 14, 15)  # BT.709, BT.601, BT.2020 10 and 12 bits


@pytest.mark.parametrize("primaries", [1, 9, 12], ids=["bt709", "bt2020", "display-p3"])
@pytest.mark.parametrize("transfer", CAMERA_CURVES)
def test_camera_curves_make_the_profile_of_the_srgb_curve_with_every_primaries(primaries,
                                                                               transfer):
    def profile(curve: int) -> bytes | None:
        return display_colour.nclx_icc_profile({"color_primaries": primaries,
                                                "transfer_characteristics": curve})

    assert profile(transfer) is profile(13)  # the same bytes: one transform for both
    assert (profile(transfer) is None) == (primaries == 1)  # BT.709's: shown as stored


@pytest.mark.parametrize(("primaries", "xy"), [(12, P3_PRIMARIES), (9, BT2020_PRIMARIES)],
                         ids=["display-p3", "bt2020"])
def test_a_png_and_a_heic_with_the_bt709_curve_show_as_with_the_srgb_one(tmp_path, primaries,
                                                                        xy):
    expected = np.array([expected_srgb(c, xy) for c in PATCHES_WITH_DARK])  # sRGB's curve
    path = png(tmp_path / "bt709.png", bytes([primaries, 1, 0, 1]))
    assert np.abs(patch_colours(shown(path)) - expected).max() <= 2
    pillow_heif.register_heif_opener()
    heic = tmp_path / "bt709.heic"
    patches(PATCHES_WITH_DARK).save(heic, quality=95, thumbnails=[128],
                                    color_primaries=primaries, transfer_characteristics=1,
                                    matrix_coefficients=6, full_range_flag=1)
    assert np.abs(patch_colours(shown(heic)) - expected).max() <= 4
