"""HEIC and AVIF files may describe their colours by ITU-T H.273 code points (an "nclx" box)
instead of an ICC profile: a Display P3 or BT.2020 one is shown in sRGB, as viewers show it,
through a profile made for it; BT.709 (sRGB) ones are shown as stored, HDR ones (PQ, HLG)
tone-mapped (tests/core/test_display_colour_hdr.py), and the codes never change. The files
are written here by pillow-heif (HEIC) and Pillow (AVIF, its nclx box then set to the code
points tested)."""

from __future__ import annotations

import numpy as np
import pillow_heif
import pytest
from colour_patches import (
    BT2020_PRIMARIES,
    D65,
    P3_PRIMARIES,
    PATCHES,
    SRGB_PRIMARIES,
    patch_colours,
    patches,
    rgb_to_xyz,
)
from old_thumbnails import cached_before_colours
from PIL import Image, features
from qt_pictures import rgb_picture

from desktop_app.core import display_colour, images
from desktop_app.ui.thumbnails import make_thumbnail


def _linear(v, transfer: int) -> np.ndarray:
    """H.273's transfer characteristics, from stored value to linear light, as shown."""
    v = np.asarray(v, float) / 255
    if transfer in (13, 1, 6, 14, 15):  # sRGB; BT.709/601/2020 shown as sRGB, as Chrome does
        return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return v ** {4: 2.2, 5: 2.8}[transfer]


def expected_srgb(rgb, primaries, transfer: int) -> np.ndarray:
    to_srgb = np.linalg.inv(rgb_to_xyz(SRGB_PRIMARIES, D65)) @ rgb_to_xyz(primaries, D65)
    out = np.clip(to_srgb @ _linear(rgb, transfer), 0, 1)
    out = np.where(out <= 0.0031308, out * 12.92, 1.055 * out ** (1 / 2.4) - 0.055)
    return np.round(out * 255)


def heic(path, primaries: int, transfer: int, picture: Image.Image | None = None):
    pillow_heif.register_heif_opener()
    (picture or patches()).save(path, quality=95, thumbnails=[128], color_primaries=primaries,
                                transfer_characteristics=transfer, matrix_coefficients=6,
                                full_range_flag=1)
    return path


def avif(path, primaries: int, transfer: int):
    """An AVIF whose nclx box (libavif writes one, sRGB's) says `primaries` and `transfer`."""
    patches().save(path, "AVIF", quality=95)
    data = path.read_bytes()
    at = data.index(b"colrnclx") + 8
    path.write_bytes(data[:at] + primaries.to_bytes(2, "big") + transfer.to_bytes(2, "big")
                     + data[at + 4:])
    return path


def shown(path) -> np.ndarray:
    return patch_colours(rgb_picture(make_thumbnail(str(path), 64, None)))


CONVERTED = [(12, 13, P3_PRIMARIES), (12, 1, P3_PRIMARIES), (12, 4, P3_PRIMARIES),
             (9, 14, BT2020_PRIMARIES), (9, 1, BT2020_PRIMARIES)]


@pytest.mark.parametrize(("primaries", "transfer", "xy"), CONVERTED,
                         ids=[f"{p}-{t}" for p, t, _ in CONVERTED])
def test_a_heic_in_display_p3_or_bt2020_by_nclx_is_shown_in_srgb(tmp_path, primaries,
                                                                  transfer, xy):
    path = heic(tmp_path / "phone.heic", primaries, transfer)
    expected = np.array([expected_srgb(c, xy, transfer) for c in PATCHES])
    assert np.abs(shown(path) - expected).max() <= 4, (shown(path).round(), expected)
    # As stored, which is what was shown before: clearly not the same colours.
    as_stored = shown(heic(tmp_path / "srgb.heic", 1, 13))
    assert np.abs(as_stored - np.array(PATCHES)).max() <= 4
    assert np.abs(shown(path) - as_stored).max() > 20


def test_the_codes_of_a_heic_with_an_nclx_box_do_not_change(tmp_path):
    rng = np.random.default_rng(3)
    picture = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))
    p3 = heic(tmp_path / "p3.heic", 12, 13, picture)
    srgb = heic(tmp_path / "srgb.heic", 1, 13, picture)
    for size in ((224, 224), None):
        coded = images.load_photo(p3, min_size=size).image
        assert "icc_profile" not in coded.info
        assert np.array_equal(np.asarray(coded),
                              np.asarray(images.load_photo(srgb, min_size=size).image))


@pytest.mark.parametrize(("primaries", "transfer"), [(1, 13), (1, 1), (12, 2), (2, 2),
                                                     (11, 13), (2, 16)],
                         ids=["srgb", "bt709", "unspecified-curve", "unspecified", "dci-p3",
                              "hdr-pq-unspecified-primaries"])
def test_srgb_and_unknown_nclx_heics_are_shown_exactly_as_stored(tmp_path, primaries,
                                                                 transfer):
    plain = tmp_path / "plain.heic"
    pillow_heif.register_heif_opener()
    patches().save(plain, quality=95, thumbnails=[128], save_nclx_profile=False)
    path = heic(tmp_path / "tagged.heic", primaries, transfer)
    assert np.array_equal(np.asarray(rgb_picture(make_thumbnail(str(path), 64, None))),
                          np.asarray(rgb_picture(make_thumbnail(str(plain), 64, None))))


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow reads no AVIF")
def test_an_avif_in_display_p3_by_nclx_is_shown_in_srgb(tmp_path):
    """Pillow's AVIF plugin gives no nclx: the box is read from the file."""
    path = avif(tmp_path / "export.avif", 12, 13)
    expected = np.array([expected_srgb(c, P3_PRIMARIES, 13) for c in PATCHES])
    assert np.abs(shown(path) - expected).max() <= 4, (shown(path).round(), expected)
    as_stored = shown(avif(tmp_path / "srgb.avif", 1, 13))
    assert np.abs(as_stored - np.array(PATCHES)).max() <= 4
    assert np.abs(shown(avif(tmp_path / "pq.avif", 9, 16)) - as_stored).max() > 20  # tone-mapped
    coded = images.load_photo(path).image
    assert np.array_equal(np.asarray(coded), np.asarray(images.load_photo(tmp_path
                                                                          / "srgb.avif").image))


def test_the_nclx_box_is_read_from_an_avif_files_primary_image_only():
    """The ipma box says which properties are the primary image's (item 1 here); item 2's
    nclx (a gain map's, an alpha plane's) is not taken for the picture's."""
    def box(kind, body):
        return (8 + len(body)).to_bytes(4, "big") + kind + body

    def nclx(primaries, transfer):
        return box(b"colr", b"nclx" + primaries.to_bytes(2, "big") + transfer.to_bytes(2, "big")
                   + b"\0\x06\x80")

    def file(primary: int, wide: bool):
        # ipma: item 1 -> properties 2 (colr 12/13) and 3; item 2 -> property 1 (colr 9/16);
        # item 3 -> property 0, which means none.
        flags = b"\0\0\x01" if wide else b"\0\0\0"
        index = (lambda i: (0x8000 | i).to_bytes(2, "big")) if wide else (lambda i: bytes([i]))
        ipma = box(b"ipma", b"\0" + flags + (3).to_bytes(4, "big")
                   + (1).to_bytes(2, "big") + b"\x02" + index(2) + index(3)
                   + (2).to_bytes(2, "big") + b"\x01" + index(1)
                   + (3).to_bytes(2, "big") + b"\x01" + index(0))
        ipco = box(b"ipco", nclx(9, 16) + nclx(12, 13) + box(b"pixi", b"\0" * 8)
                   + nclx(12, 1))
        meta = box(b"meta", b"\0" * 4 + box(b"pitm", b"\0" * 4 + primary.to_bytes(2, "big"))
                   + box(b"iprp", ipco + ipma))
        return box(b"ftyp", b"avif\0\0\0\0avifmif1") + meta + box(b"mdat", b"\0" * 64)

    for wide in (False, True):
        assert display_colour._avif_nclx(file(1, wide)) == {
            "color_primaries": 12, "transfer_characteristics": 13, "matrix_coefficients": 6,
            "full_range_flag": 1}
        assert display_colour._avif_nclx(file(2, wide))["color_primaries"] == 9
        assert display_colour._avif_nclx(file(3, wide)) is None  # no colours of its own
        assert display_colour._avif_nclx(file(4, wide)) is None  # no such item
    whole = file(1, False)
    for end in range(0, len(whole), 7):  # cut anywhere: no colours, no error
        assert display_colour._avif_nclx(whole[:end]) in (None, display_colour._avif_nclx(whole))


def test_an_ipma_box_is_read_to_its_end_only():
    """An ipma box whose entry count says more than it holds: the entries are not read on
    into the boxes after it (the picture's bytes, read as entries, gave colours from nowhere,
    and walking a 10 MB AVIF that way took seconds)."""
    def box(kind, body):
        return (8 + len(body)).to_bytes(4, "big") + kind + body

    colr = box(b"colr", b"nclx" + (12).to_bytes(2, "big") + (13).to_bytes(2, "big")
               + b"\0\x06\x80")
    # Item 2 -> property 1 only; what follows it looks like "item 1 -> property 1".
    stray = (1).to_bytes(2, "big") + b"\x01\x81"
    for count in (2, 0xFFFFFFFF):
        ipma = box(b"ipma", b"\0" * 4 + count.to_bytes(4, "big")
                   + (2).to_bytes(2, "big") + b"\x01\x81")
        meta = box(b"meta", b"\0" * 4 + box(b"pitm", b"\0" * 4 + (1).to_bytes(2, "big"))
                   + box(b"iprp", box(b"ipco", colr) + ipma + stray))
        data = box(b"ftyp", b"avif\0\0\0\0avifmif1") + meta + box(b"mdat", stray * 1000)
        assert display_colour._avif_nclx(data) is None


def test_nclx_as_pillow_heif_gives_it_maps_to_one_cached_profile():
    """pillow-heif's info["nclx_profile"]: a dict of the code points and the primaries' float
    coordinates. Two P3 pictures differing in their YCbCr matrix or range share one profile
    (one transform); HDR and BT.709 get none."""
    p3 = {"color_primaries": 12, "transfer_characteristics": 13, "matrix_coefficients": 6,
          "full_range_flag": 1, "color_primary_red_x": 0.68, "color_primary_red_y": 0.32}
    profile = display_colour.nclx_icc_profile(p3)
    assert profile is display_colour.nclx_icc_profile({**p3, "matrix_coefficients": 1,
                                               "full_range_flag": 0})
    assert profile[16:20] == b"RGB "
    for other in ({**p3, "color_primaries": 1}, {**p3, "transfer_characteristics": 16},
                  {**p3, "transfer_characteristics": 18}, {"color_primaries": 12}, None, b"x"):
        assert display_colour.nclx_icc_profile(other) is None
    picture = Image.new("RGB", (4, 4), PATCHES[0])
    picture.info["icc_profile"] = profile
    converted = np.asarray(display_colour.to_srgb_for_display(picture))[0, 0]
    assert np.abs(converted - expected_srgb(PATCHES[0], P3_PRIMARIES, 13)).max() <= 2


def test_thumbnails_cached_before_nclx_colours_are_made_again(tmp_path):
    path = heic(tmp_path / "phone.heic", 12, 13)
    root = tmp_path / "thumbnails"
    stale = cached_before_colours(path, root)
    assert np.abs(patch_colours(rgb_picture(make_thumbnail(str(path), 64, root)))
                  - patch_colours(stale)).max() > 20
