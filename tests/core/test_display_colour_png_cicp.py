"""A PNG may describe its colours by ITU-T H.273 code points in a cICP chunk (PNG 3rd edition),
which Pillow does not read: a Display P3 or BT.2020 one is shown in sRGB, as viewers show it,
through the profile made for a HEIC's nclx box. cICP comes before an embedded profile (iCCP)
when understood; HDR ones (PQ, HLG) are tone-mapped (test_display_colour_hdr.py), unknown and
narrow-range ones leave the embedded profile to stand, and the codes never change.
"""

from __future__ import annotations

import numpy as np
import pytest
from colour_patches import (
    BT2020_PRIMARIES,
    D65,
    P3_PRIMARIES,
    PATCHES_WITH_DARK,
    SRGB_PRIMARIES,
    expected_srgb,
    patch_colours,
    patches,
)
from colour_tagged_files import P3_ICC, png, png_chunk, same_codes, shown
from PIL import Image

from desktop_app.core import display_colour


@pytest.mark.parametrize(("primaries", "transfer", "xy"), [
    (12, 13, P3_PRIMARIES), (9, 13, BT2020_PRIMARIES)], ids=["display-p3", "bt2020"])
def test_a_png_in_display_p3_or_bt2020_by_cicp_is_shown_in_srgb(tmp_path, primaries,
                                                                transfer, xy):
    path = png(tmp_path / "export.png", bytes([primaries, transfer, 0, 1]))
    plain = png(tmp_path / "plain.png")
    colours = patch_colours(shown(path))
    expected = np.array([expected_srgb(c, xy) for c in PATCHES_WITH_DARK])
    assert np.abs(colours - expected).max() <= 2, (colours.round(), expected)
    assert np.abs(patch_colours(shown(plain)) - np.array(PATCHES_WITH_DARK)).max() == 0
    assert np.abs(colours - np.array(PATCHES_WITH_DARK)).max() > 20  # what was shown before
    assert same_codes(path, plain)


def test_cicp_comes_before_an_embedded_profile(tmp_path):
    plain = np.asarray(shown(png(tmp_path / "plain.png")))
    # It says sRGB, the profile Display P3: sRGB, shown as stored.
    srgb = png(tmp_path / "srgb.png", bytes([1, 13, 0, 1]), P3_ICC)
    assert np.array_equal(np.asarray(shown(srgb)), plain)
    # It says Display P3, the profile sRGB: Display P3.
    srgb_icc = display_colour.rgb_icc_profile("sRGB (test)", SRGB_PRIMARIES, D65,
                                              display_colour.SRGB_CURVE)
    p3 = png(tmp_path / "p3.png", bytes([12, 13, 0, 1]), srgb_icc)
    expected = np.array([expected_srgb(c, P3_PRIMARIES) for c in PATCHES_WITH_DARK])
    assert np.abs(patch_colours(shown(p3)) - expected).max() <= 2
    assert same_codes(srgb, p3)


@pytest.mark.parametrize("cicp", [bytes([11, 13, 0, 1]), bytes([12, 2, 0, 1]),
                                  bytes([2, 13, 0, 1]), bytes([12, 13, 0, 0])],
                         ids=["dci-p3", "unspecified-curve", "unspecified-primaries",
                              "narrow-range"])
def test_a_cicp_chunk_not_understood_leaves_the_embedded_profile(tmp_path, cicp):
    """cICP comes first only "if understood by the decoder" (PNG 3rd edition), as in Chrome:
    narrow range and code points not known here are shown as stored without a profile, and
    through the embedded one with it (they were shown as stored, dull, with a P3 profile)."""
    plain = np.asarray(shown(png(tmp_path / "plain.png")))
    assert np.array_equal(np.asarray(shown(png(tmp_path / "bare.png", cicp))), plain)
    p3 = patch_colours(shown(png(tmp_path / "p3.png", icc=P3_ICC)))
    assert np.abs(p3 - np.array(PATCHES_WITH_DARK)).max() > 20
    tagged = png(tmp_path / "tagged.png", cicp, P3_ICC)
    assert np.array_equal(patch_colours(shown(tagged)), p3)
    assert same_codes(tagged, tmp_path / "plain.png")


def test_a_cicp_chunk_in_error_or_after_the_pixels_is_not_taken(tmp_path):
    """A YCbCr matrix (a PNG is RGB), a range flag other than 0 or 1, a chunk of the wrong
    length: the chunk is in error, and the embedded profile stands. One after the pixels
    (IDAT) is not where cICP may be, and is not read."""
    p3 = patch_colours(shown(png(tmp_path / "p3.png", icc=P3_ICC)))
    for cicp in (bytes([1, 13, 1, 1]), bytes([1, 13, 0, 2]), bytes([1, 13, 0, 1, 0])):
        path = png(tmp_path / "wrong.png", cicp, P3_ICC)
        assert np.array_equal(patch_colours(shown(path)), p3), cicp
    data = png(tmp_path / "late.png", icc=P3_ICC).read_bytes()
    end = data.rindex(b"IEND") - 4
    late = tmp_path / "late.png"
    late.write_bytes(data[:end] + png_chunk(b"cICP", bytes([1, 13, 0, 1])) + data[end:])
    assert np.array_equal(patch_colours(shown(late)), p3)


def test_the_cicp_chunk_is_read_from_any_cut_of_the_file_without_error(tmp_path):
    data = png(tmp_path / "p3.png", bytes([12, 13, 0, 1]),
               picture=Image.new("RGB", (8, 8))).read_bytes()
    whole = display_colour._png_cicp(data)
    assert whole == {"color_primaries": 12, "transfer_characteristics": 13,
                     "matrix_coefficients": 0, "full_range_flag": 1}
    for end in range(len(data)):
        assert display_colour._png_cicp(data[:end]) in (None, whole)
    huge = data[:8] + b"\xff" * 4 + data[12:]  # IHDR's length past 2^31: not a PNG's
    assert display_colour._png_cicp(huge) is None


def test_a_palette_png_with_cicp_is_shown_in_srgb(tmp_path):
    path = png(tmp_path / "p3.png", bytes([12, 13, 0, 1]),
               picture=patches(PATCHES_WITH_DARK).quantize(8))
    expected = np.array([expected_srgb(c, P3_PRIMARIES) for c in PATCHES_WITH_DARK])
    assert np.abs(patch_colours(shown(path)) - expected).max() <= 2
