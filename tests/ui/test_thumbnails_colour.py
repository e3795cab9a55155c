"""Photos with a colour profile other than sRGB (Display P3 from phones, Adobe RGB from cameras,
ProPhoto from Lightroom) are shown in sRGB, as a viewer shows them, not with their numbers taken
as sRGB (dull, or off-hue); photos in sRGB or with no profile are shown as before, and the codes
never change. The profiles are made here, byte by byte: no system colour files are needed."""

from __future__ import annotations

import numpy as np
import pillow_heif
import pytest
from colour_patches import (
    D65,
    P3_PRIMARIES,
    PATCHES,
    SRGB_PRIMARIES,
    patch_colours,
    patches,
    rgb_to_xyz,
    xyz,
)
from old_thumbnails import cached_before_colours
from PIL import Image, ImageCms
from PySide6.QtGui import QImage
from qt_pictures import rgb_picture

from desktop_app.core import display_colour, images
from desktop_app.ui.thumbnails import ThumbnailCache, make_thumbnail

D50 = (0.3457, 0.3585)
ADOBE_PRIMARIES = ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06))
PROPHOTO_PRIMARIES = ((0.7347, 0.2653), (0.1596, 0.8404), (0.0366, 0.0001))
SRGB_CURVE = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)  # ICC parametric type 3
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367],
                     [0.0389, -0.0685, 1.0296]])


def _adapt(source_white, target_white) -> np.ndarray:
    """Bradford chromatic adaptation, as ICC profiles and LittleCMS use it."""
    cone = BRADFORD @ xyz(target_white) / (BRADFORD @ xyz(source_white))
    return np.linalg.inv(BRADFORD) @ np.diag(cone) @ BRADFORD


def icc_profile(name: str, primaries, white, curve) -> bytes:
    """An ICC v4 matrix/TRC RGB display profile, as phones and cameras embed (about 600 bytes).
    `curve`: a gamma, or SRGB_CURVE. The app's own builder, which also makes the profiles of
    nclx colour descriptions: checked here against the textbook formulas of expected_srgb."""
    return display_colour.rgb_icc_profile(name, primaries, white, curve)


P3 = icc_profile("Display P3 (test)", P3_PRIMARIES, D65, SRGB_CURVE)
ADOBE_RGB = icc_profile("Adobe RGB (test)", ADOBE_PRIMARIES, D65, 563 / 256)
PROPHOTO = icc_profile("ProPhoto RGB (test)", PROPHOTO_PRIMARIES, D50, 1.8)
SRGB = icc_profile("sRGB (test)", SRGB_PRIMARIES, D65, SRGB_CURVE)


def _decode_curve(v, curve):
    v = np.asarray(v, float) / 255
    if isinstance(curve, float):
        return v ** curve
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def expected_srgb(rgb, primaries, white, curve) -> np.ndarray:
    """The textbook conversion (no LittleCMS): linear values, to XYZ, to sRGB, clipped."""
    linear = _decode_curve(rgb, curve)
    to_srgb = np.linalg.inv(rgb_to_xyz(SRGB_PRIMARIES, D65)) @ _adapt(white, D65) \
        @ rgb_to_xyz(primaries, white)
    out = np.clip(to_srgb @ linear, 0, 1)
    out = np.where(out <= 0.0031308, out * 12.92, 1.055 * out ** (1 / 2.4) - 0.055)
    return np.round(out * 255)


FORMATS = {"jpg": {"quality": 95}, "png": {}, "webp": {"lossless": True}, "tif": {},
           "heic": {"quality": 95, "thumbnails": [128]}}  # shown: the embedded thumbnail


def write(path, icc: bytes | None, picture: Image.Image | None = None):
    pillow_heif.register_heif_opener()
    options = dict(FORMATS[path.suffix[1:]])
    if icc is not None:
        options["icc_profile"] = icc
    (picture or patches()).save(path, **options)
    return path


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_display_p3_photo_is_shown_in_srgb_and_its_codes_do_not_change(tmp_path, suffix):
    p3 = write(tmp_path / f"p3.{suffix}", P3)
    plain = write(tmp_path / f"plain.{suffix}", None)
    shown = patch_colours(rgb_picture(make_thumbnail(str(p3), 64, None)))
    expected = np.array([expected_srgb(c, P3_PRIMARIES, D65, SRGB_CURVE) for c in PATCHES])
    assert np.abs(shown - expected).max() <= 4, (shown.round(), expected)
    # The numbers as stored are what was shown before: clearly not the same colours.
    as_stored = patch_colours(rgb_picture(make_thumbnail(str(plain), 64, None)))
    assert np.abs(as_stored - np.array(PATCHES)).max() <= 4
    assert np.abs(shown - as_stored).max() > 20
    # The codes are made from the numbers as stored, whatever the profile.
    for size in ((224, 224), None):
        coded = images.load_photo(p3, min_size=size).image
        assert np.array_equal(np.asarray(coded), np.asarray(images.load_photo(plain,
                                                                              min_size=size).image))


@pytest.mark.parametrize(("icc", "primaries", "white", "curve"), [
    (ADOBE_RGB, ADOBE_PRIMARIES, D65, 563 / 256), (PROPHOTO, PROPHOTO_PRIMARIES, D50, 1.8)],
    ids=["adobe-rgb", "prophoto"])
def test_adobe_rgb_and_prophoto_photos_are_shown_in_srgb(tmp_path, icc, primaries, white, curve):
    path = write(tmp_path / "camera.png", icc)
    shown = patch_colours(rgb_picture(make_thumbnail(str(path), 64, None)))
    expected = np.array([expected_srgb(c, primaries, white, curve) for c in PATCHES])
    assert np.abs(shown - expected).max() <= 4, (shown.round(), expected)
    assert np.abs(shown - np.array(PATCHES)).max() > 20


@pytest.mark.parametrize("suffix", ["jpg", "png", "heic"])
def test_photos_in_srgb_or_with_no_profile_are_shown_exactly_as_before(tmp_path, suffix):
    plain = write(tmp_path / f"plain.{suffix}", None)
    thumbnail = np.asarray(rgb_picture(make_thumbnail(str(plain), 64, None)))
    for name, icc in (("own", SRGB), ("littlecms",
                                      ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
                                      .tobytes())):
        srgb = write(tmp_path / f"{name}.{suffix}", icc)
        made = make_thumbnail(str(srgb), 64, None)
        assert np.array_equal(np.asarray(rgb_picture(made)), thumbnail)



def test_an_srgb_profile_with_its_numbers_rounded_otherwise_changes_no_colour(tmp_path):
    """Vendors' sRGB profiles differ from LittleCMS's in their last digits, which moved some
    colours by a step: such a photo is shown exactly as stored too."""
    levels = np.arange(0, 256, 17, dtype=np.uint8)
    cube = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(64, 64, 3)
    vendor = icc_profile("sRGB (vendor)", SRGB_PRIMARIES, (0.3129, 0.3292), SRGB_CURVE)
    path = write(tmp_path / "vendor.png", vendor, Image.fromarray(cube))
    assert np.array_equal(np.asarray(rgb_picture(make_thumbnail(str(path), 64, None))), cube)


def test_a_broken_or_foreign_profile_leaves_the_picture_as_stored(tmp_path):
    plain = np.asarray(rgb_picture(
        make_thumbnail(str(write(tmp_path / "plain.png", None)), 64, None)))
    broken = bytearray(P3)
    broken[200:400] = b"\xff" * 200  # the tag table damaged, the header still says RGB
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()  # not an RGB one
    for name, icc in (("broken", bytes(broken)), ("short", P3[:100]), ("lab", lab)):
        path = write(tmp_path / f"{name}.png", icc)
        made = make_thumbnail(str(path), 64, None)
        assert np.array_equal(np.asarray(rgb_picture(made)), plain), name


def test_thumbnails_cached_on_disk_in_the_old_colours_are_made_again(tmp_path):
    path = write(tmp_path / "p3.jpg", P3)
    root = tmp_path / "thumbnails"
    stale = cached_before_colours(path, root)
    shown = patch_colours(rgb_picture(make_thumbnail(str(path), 64, root)))
    assert np.abs(shown - patch_colours(stale)).max() > 20
    # The new one is cached, in sRGB: read back the same.
    again = patch_colours(rgb_picture(make_thumbnail(str(path), 64, root)))
    assert np.abs(again - shown).max() <= 3


def test_the_grid_shows_a_p3_photo_in_srgb(qtbot, tmp_path):
    path = str(write(tmp_path / "phone.jpg", P3))
    cache = ThumbnailCache(edge=64, disk_cache=False, scale=1.0)
    with qtbot.waitSignal(cache.ready, timeout=20000):
        assert cache.pixmap(path) is None
    image = cache.pixmap(path).toImage().convertToFormat(QImage.Format.Format_RGB888)
    # The square's picture.
    shown = patch_colours(rgb_picture(image.copy(0, (64 - 32) // 2, 64, 32)))
    expected = np.array([expected_srgb(c, P3_PRIMARIES, D65, SRGB_CURVE) for c in PATCHES])
    assert np.abs(shown - expected).max() <= 4
    cache.shutdown()


def test_decoding_for_codes_keeps_no_profile_and_converts_nothing(tmp_path):
    data = write(tmp_path / "p3.jpg", P3).read_bytes()
    coded, _, _ = images.decode(data, "p3.jpg", min_size=(64, 64))
    assert display_colour.to_srgb_for_display(coded) is coded  # the fast JPEG path: no profile
    shown, _, _ = images.decode(data, "p3.jpg", min_size=(64, 64), display_edge=64)
    assert shown.info["icc_profile"] == P3
    assert np.array_equal(np.asarray(shown), np.asarray(coded))  # converted only when asked
    assert display_colour.to_srgb_for_display(shown) is not shown


def test_profiles_differing_only_in_their_date_share_one_transform(monkeypatch):
    """LittleCMS-made profiles (GIMP, darktable exports) differ in creation date and profile ID
    only: one transform is built for them, not one per export session."""
    built = []
    real_build = display_colour._build_srgb_transform
    monkeypatch.setattr(display_colour, "_transforms", {})
    monkeypatch.setattr(display_colour, "_build_srgb_transform",
                        lambda profile: built.append(profile) or real_build(profile))
    dated = [P3[:24] + bytes([7, 234, 0, 1, 0, day, 0, 12, 0, 0, 0, 0]) + P3[36:84]
             + bytes([day]) * 16 + P3[100:] for day in (1, 2, 3)]
    picture = Image.new("RGB", (4, 4), (128, 200, 64))
    shown = [np.asarray(display_colour.to_srgb_for_display(_with(picture, p))) for p in dated]
    assert len(built) == 1
    assert all(np.array_equal(shown[0], s) for s in shown)
    assert not np.array_equal(shown[0], np.asarray(picture))  # converted all the same


def _with(picture: Image.Image, profile: bytes) -> Image.Image:
    copy = picture.copy()
    copy.info["icc_profile"] = profile
    return copy
