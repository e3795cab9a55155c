"""Cameras set to Adobe RGB often embed no profile and say it in EXIF only: ColorSpace
"uncalibrated" (0xFFFF) with the Interoperability index "R03" (the DCF convention), or the
unofficial ColorSpace 2. Such a JPEG is shown converted from Adobe RGB (1998) to sRGB, as
viewers show it; an embedded profile comes first, and the codes never change."""

from __future__ import annotations

import numpy as np
import pytest
from colour_patches import P3_PRIMARIES, PATCHES_WITH_DARK, expected_srgb, patch_colours, patches
from colour_tagged_files import P3_ICC, same_codes, shown
from PIL import Image

from desktop_app.core import display_colour

ADOBE_PRIMARIES = ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06))


def adobe_linear(v) -> np.ndarray:
    return (np.asarray(v, float) / 255) ** (563 / 256)


def camera_jpeg(path, colour_space: int | None, interop: str | None = None,
                orientation: int = 1, icc: bytes | None = None, picture=None):
    """A JPEG with EXIF as cameras write it: IFD0, its Exif IFD, that one's Interop IFD."""
    exif = Image.Exif()
    exif[0x0110] = "Camera"
    if orientation != 1:
        exif[0x0112] = orientation
    if colour_space is not None:
        exif_ifd = {0xA001: colour_space}
        if interop is not None:
            exif_ifd[0xA005] = {0x0001: interop}
        exif[0x8769] = exif_ifd
    options = {"icc_profile": icc} if icc is not None else {}
    (picture or patches(PATCHES_WITH_DARK)).save(path, quality=95, exif=exif, **options)
    return path


ADOBE = np.array([expected_srgb(c, ADOBE_PRIMARIES, adobe_linear) for c in PATCHES_WITH_DARK])


@pytest.mark.parametrize(("colour_space", "interop"), [(0xFFFF, "R03"), (2, None)],
                         ids=["dcf-r03", "colour-space-2"])
def test_a_camera_jpeg_in_adobe_rgb_by_exif_is_shown_in_srgb(tmp_path, colour_space, interop):
    path = camera_jpeg(tmp_path / "camera.jpg", colour_space, interop)
    plain = camera_jpeg(tmp_path / "plain.jpg", 1, "R98")
    colours = patch_colours(shown(path))
    assert np.abs(colours - ADOBE).max() <= 4, (colours.round(), ADOBE)
    as_stored = patch_colours(shown(plain))
    assert np.abs(as_stored - np.array(PATCHES_WITH_DARK)).max() <= 4
    assert np.abs(colours - as_stored).max() > 20  # what was shown before
    assert same_codes(path, plain)


def test_an_adobe_rgb_camera_jpeg_is_still_turned_upright(tmp_path):
    """The EXIF read for the colours is the one the orientation is read from next."""
    picture = patches(PATCHES_WITH_DARK)
    path = camera_jpeg(tmp_path / "camera.jpg", 0xFFFF, "R03", orientation=6,
                       picture=picture.transpose(Image.Transpose.ROTATE_90))
    upright = shown(path)
    assert upright.size == (64, 32)
    assert np.abs(patch_colours(upright) - ADOBE).max() <= 4


@pytest.mark.parametrize(("colour_space", "interop"), [
    (0xFFFF, "R98"), (0xFFFF, None), (1, "R03"), (None, None), (0xFFFF, "THM")],
    ids=["dcf-basic", "uncalibrated-only", "srgb-r03", "no-colour-space", "thumbnail"])
def test_other_camera_jpegs_are_shown_exactly_as_stored(tmp_path, colour_space, interop):
    plain = np.asarray(shown(camera_jpeg(tmp_path / "plain.jpg", None)))
    path = camera_jpeg(tmp_path / "camera.jpg", colour_space, interop)
    assert np.array_equal(np.asarray(shown(path)), plain)


def test_an_embedded_profile_comes_before_the_exif(tmp_path):
    path = camera_jpeg(tmp_path / "p3.jpg", 0xFFFF, "R03", icc=P3_ICC)
    expected = np.array([expected_srgb(c, P3_PRIMARIES) for c in PATCHES_WITH_DARK])
    assert np.abs(patch_colours(shown(path)) - expected).max() <= 4


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_exif_leaves_the_picture_as_stored(tmp_path):
    plain = np.asarray(shown(camera_jpeg(tmp_path / "plain.jpg", None)))
    data = camera_jpeg(tmp_path / "camera.jpg", 0xFFFF, "R03").read_bytes()
    tiff = data.index(b"Exif\0\0") + 6
    pointer = data.index(b"\x87\x69\0\x04\0\0\0\x01", tiff) + 8  # IFD0's to the Exif IFD
    broken = tmp_path / "broken.jpg"
    # Pillow reads a pointer typed signed as negative, and raises seeking to it.
    signed = data[:pointer - 6] + b"\0\x09" + data[pointer - 4:pointer] + b"\xff\xff\xff\xf0"
    for damaged in (data[:tiff] + b"XX" + data[tiff + 2:],  # no byte order
                    data[:pointer] + b"\x7f\xff\xff\xff" + data[pointer + 4:],  # nowhere
                    signed + data[pointer + 4:]):  # before the start
        broken.write_bytes(damaged)
        assert np.array_equal(np.asarray(shown(broken)), plain)


def test_the_adobe_rgb_profile_is_made_once_and_reads_as_adobe_rgb():
    profile = display_colour.adobe_rgb_profile()
    assert profile is display_colour.adobe_rgb_profile()
    assert profile[16:20] == b"RGB "
    picture = Image.new("RGB", (4, 4), PATCHES_WITH_DARK[0])
    picture.info["icc_profile"] = profile
    converted = np.asarray(display_colour.to_srgb_for_display(picture))[0, 0]
    assert np.abs(converted - ADOBE[0]).max() <= 2
