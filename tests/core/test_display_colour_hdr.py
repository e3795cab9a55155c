"""HDR pictures (a PQ or HLG curve said by a PNG's cICP chunk or a HEIC's or AVIF's nclx box)
are tone-mapped to SDR for the thumbnail: they were shown as stored, washed out and flat. The
expected colours are worked out here from the standards' formulas (SMPTE ST 2084, BT.2100's
HLG and reference OOTF, BT.2390's EETF with BT.2408's 203 cd/m2 reference white as the SDR
screen's white), and the codes never change.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib

import numpy as np
import pillow_heif
import pytest
from colour_patches import BT2020_PRIMARIES, P3_PRIMARIES, SRGB_PRIMARIES, rgb_to_xyz
from colour_tagged_files import P3_ICC, png_chunk, same_codes, shown
from PIL import Image, features
from qt_pictures import rgb_picture

from desktop_app.core import display_colour
from desktop_app.core.scan import change_time
from desktop_app.ui.thumbnails import disk_key, make_thumbnail

# -- the formulas ------------------------------------------------------------------------------
M1, M2 = 2610 / 16384, 2523 / 4096 * 128
C1, C2, C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32


def pq_nits(e):
    p = np.asarray(e, float) ** (1 / M2)
    return 10000 * (np.maximum(p - C1, 0) / (C2 - C3 * p)) ** (1 / M1)


def pq_signal(nits):
    y = (np.asarray(nits, float) / 10000) ** M1
    return ((C1 + C2 * y) / (1 + C3 * y)) ** M2


def hlg_nits(signal, primaries) -> np.ndarray:
    """HLG signal -> display light on BT.2100's 1000 cd/m2 reference display."""
    a = 0.17883277
    b, c = 1 - 4 * a, 0.5 - a * np.log(4 * a)
    e = np.asarray(signal, float)
    scene = np.where(e <= 0.5, e**2 / 3, (np.exp((e - c) / a) + b) / 12)
    ys = rgb_to_xyz(primaries)[1] @ scene
    return 1000 * ys**0.2 * scene


def bt2390_eetf(nits: float, peak: float = 1000, white: float = 203) -> float:
    """BT.2390 (5.4): source 0..peak to 0..white, in PQ signal; black stays 0."""
    e1 = min(float(pq_signal(nits) / pq_signal(peak)), 1.0)
    max_lum = float(pq_signal(white) / pq_signal(peak))
    ks = 1.5 * max_lum - 0.5
    if e1 >= ks:
        t = (e1 - ks) / (1 - ks)
        e1 = ((2 * t**3 - 3 * t**2 + 1) * ks + (t**3 - 2 * t**2 + t) * (1 - ks)
              + (-2 * t**3 + 3 * t**2) * max_lum)
    return float(pq_nits(e1 * pq_signal(peak)))


def expected_srgb(light, primaries=BT2020_PRIMARIES) -> np.ndarray:
    """Display light (cd/m2) in `primaries` -> BT.709 -> EETF on max(R, G, B) -> clip -> sRGB."""
    rgb = np.linalg.inv(rgb_to_xyz(SRGB_PRIMARIES)) @ rgb_to_xyz(primaries) @ light
    peak = max(rgb.max(), 0)
    rgb = np.clip(rgb * (bt2390_eetf(peak) / peak / 203 if peak > 0 else 0), 0, 1)
    return np.round(255 * np.where(rgb <= 0.0031308, 12.92 * rgb, 1.055 * rgb**(1 / 2.4) - 0.055))


# -- the pictures ------------------------------------------------------------------------------
# Display light (cd/m2) in BT.2020 primaries: reference white, BT.2408's 18% grey (26 cd/m2),
# a green outside sRGB's gamut, black, and the brightest the tone curve keeps apart.
PQ_PATCHES = ((203, 203, 203), (26, 26, 26), (10, 120, 5), (0, 0, 0), (1000, 1000, 1000))
# HLG signals: reference white (75%), 18% grey (38%), a saturated green, black, peak.
HLG_PATCHES = ((0.75, 0.75, 0.75), (0.38, 0.38, 0.38), (0.3, 0.75, 0.2), (0, 0, 0), (1, 1, 1))


def signals(transfer: int) -> np.ndarray:
    return pq_signal(PQ_PATCHES) if transfer == 16 else np.array(HLG_PATCHES, float)


def expected(transfer: int, primaries=BT2020_PRIMARIES) -> np.ndarray:
    light = PQ_PATCHES if transfer == 16 else [hlg_nits(s, primaries) for s in HLG_PATCHES]
    return np.array([expected_srgb(np.array(c, float), primaries) for c in light])


def sixteen_bit(transfer: int) -> np.ndarray:
    """The patches side by side, 80 x 160 each, as 16-bit values."""
    values = np.rint(signals(transfer) * 65535).astype(np.uint16)
    return np.repeat(np.repeat(values[None, :, None, :], 160, 0), 80, 2).reshape(160, -1, 3)


def png16(path, cicp: bytes | None, transfer: int, icc: bytes | None = None):
    """A 16-bit RGB PNG (Pillow writes none) with a cICP chunk, as HDR exporters write."""
    pixels = sixteen_bit(transfer).astype(">u2")
    height, width = pixels.shape[:2]
    rows = b"".join(b"\0" + row.tobytes() for row in pixels)
    chunks = [png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0))]
    if icc is not None:
        chunks.append(png_chunk(b"iCCP", b"test\0\0" + zlib.compress(icc)))
    if cicp is not None:
        chunks.append(png_chunk(b"cICP", cicp))
    chunks += [png_chunk(b"IDAT", zlib.compress(rows)), png_chunk(b"IEND", b"")]
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"".join(chunks))
    return path


def heic10(path, primaries: int, transfer: int, patches_of: int, camera: bool = False):
    """A 10-bit HEIC of `patches_of`'s patches with an nclx box: lossless (RGB, 4:4:4) so the
    values are the ones meant, or as cameras write them (lossy YCbCr 4:2:0, an embedded
    thumbnail, which the thumbnail is then made from)."""
    pillow_heif.register_heif_opener()
    pixels = sixteen_bit(patches_of)
    heif = pillow_heif.from_bytes(mode="RGB;16", size=pixels.shape[1::-1], data=pixels.tobytes())
    how = ({"quality": 95, "thumbnails": [128], "matrix_coefficients": 6} if camera
           else {"quality": -1, "chroma": 444, "matrix_coefficients": 0})
    heif.save(path, full_range_flag=1, color_primaries=primaries,
              transfer_characteristics=transfer, **how)
    return path


def patch_colours(picture: Image.Image) -> np.ndarray:
    arr = np.asarray(picture, float)
    n = len(PQ_PATCHES)
    w, h = picture.width / n, picture.height
    return np.array([arr[h // 4:3 * h // 4, round(w * (i + 0.3)):round(w * (i + 0.7))]
                     .mean(axis=(0, 1)) for i in range(n)])


# -- the tests ---------------------------------------------------------------------------------
def test_the_formulas_put_the_patches_where_bt2408_says():
    """Anchors for the maths above: 203 cd/m2 is PQ 58% and HLG 75%; 18% grey is 26 cd/m2,
    below the EETF's knee (kept as it is: 26/203 of the screen's white); reference white is
    rolled off a little (to 159 cd/m2, sRGB 229) to leave room for highlights up to 1000."""
    assert abs(pq_signal(203) - 0.5807) < 1e-4
    assert abs(hlg_nits(np.full(3, 0.75), BT2020_PRIMARIES)[0] - 203) < 0.5
    assert abs(hlg_nits(np.full(3, 0.38), BT2020_PRIMARIES)[0] - 26) < 0.5
    assert bt2390_eetf(26) == pytest.approx(26)
    assert bt2390_eetf(203) == pytest.approx(159, abs=0.5)
    assert bt2390_eetf(1000) == pytest.approx(203) and bt2390_eetf(4000) == pytest.approx(203)
    pq = expected(16)
    assert list(pq[0]) == [229] * 3 and list(pq[3]) == [0] * 3 and list(pq[4]) == [255] * 3
    assert 95 <= pq[1][0] <= 105
    assert pq[2][0] == 0 and pq[2][2] == 0  # the green out of sRGB's gamut: clipped


@pytest.mark.parametrize("transfer", [16, 18], ids=["pq", "hlg"])
def test_a_16_bit_hdr_png_with_cicp_is_tone_mapped(tmp_path, transfer):
    path = png16(tmp_path / "hdr.png", bytes([9, transfer, 0, 1]), transfer)
    plain = png16(tmp_path / "plain.png", None, transfer)
    colours = patch_colours(shown(path))
    want = expected(transfer)
    # A few levels: the decoder keeps 8 of the 16 bits, a step of 2-4 levels in bright tones.
    assert np.abs(colours - want).max() <= 3, (colours.round(), want)
    as_stored = patch_colours(shown(plain))
    assert np.abs(colours - as_stored).max() > 40  # what was shown before: washed out
    assert same_codes(path, plain)


def test_an_hdr_png_tagged_display_p3_is_converted_from_p3():
    picture = Image.fromarray(np.rint(pq_signal(PQ_PATCHES) * 255).astype(np.uint8)[None])
    picture.info[display_colour.HDR_KEY] = display_colour.HdrColours(12, 16)
    out = np.asarray(display_colour.to_srgb_for_display(picture), float)[0]
    stored = pq_nits(np.rint(pq_signal(PQ_PATCHES) * 255) / 255)  # exactly what it holds
    want = np.array([expected_srgb(c, P3_PRIMARIES) for c in stored])
    assert np.abs(out - want).max() <= 1, (out, want)


def test_cicp_hdr_comes_before_an_embedded_profile(tmp_path):
    tagged = png16(tmp_path / "tagged.png", bytes([9, 16, 0, 1]), 16, icc=P3_ICC)
    bare = png16(tmp_path / "bare.png", bytes([9, 16, 0, 1]), 16)
    assert np.array_equal(np.asarray(shown(tagged)), np.asarray(shown(bare)))


@pytest.mark.parametrize("cicp", [bytes([11, 16, 0, 1]), bytes([9, 16, 0, 0])],
                         ids=["dci-p3", "narrow-range"])
def test_hdr_cicp_not_understood_is_shown_as_stored(tmp_path, cicp):
    plain = np.asarray(shown(png16(tmp_path / "plain.png", None, 16)))
    assert np.array_equal(np.asarray(shown(png16(tmp_path / "hdr.png", cicp, 16))), plain)


@pytest.mark.parametrize("camera", [False, True], ids=["lossless", "camera"])
@pytest.mark.parametrize("transfer", [16, 18], ids=["pq", "hlg"])
def test_a_10_bit_hdr_heic_is_tone_mapped(tmp_path, transfer, camera):
    path = heic10(tmp_path / "camera.heic", 9, transfer, transfer, camera)
    sdr = heic10(tmp_path / "sdr.heic", 1, 13, transfer, camera)
    colours = patch_colours(shown(path))
    want = expected(transfer)
    assert np.abs(colours - want).max() <= 3, (colours.round(), want)
    assert np.abs(colours - patch_colours(shown(sdr))).max() > 40
    assert same_codes(path, sdr)


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow reads no AVIF")
def test_an_hdr_avif_is_tone_mapped(tmp_path):
    """Pillow writes 8-bit AVIF only: the stored values are the patches' to 8 bits, and the
    nclx box libavif writes (sRGB's) is set to BT.2020 and PQ."""
    pixels = np.rint(sixteen_bit(16) / 257).astype(np.uint8)
    path = tmp_path / "export.avif"
    Image.fromarray(pixels).save(path, "AVIF", quality=100, subsampling="4:4:4")
    data = path.read_bytes()
    at = data.index(b"colrnclx") + 8
    path.write_bytes(data[:at] + (9).to_bytes(2, "big") + (16).to_bytes(2, "big") + data[at + 4:])
    colours = patch_colours(shown(path))
    stored = pq_nits(np.rint(pq_signal(PQ_PATCHES) * 255) / 255)
    want = np.array([expected_srgb(c) for c in stored])
    assert np.abs(colours - want).max() <= 3, (colours.round(), want)


def test_sdr_pictures_carry_no_hdr_colours(tmp_path):
    """HDR colours ride in the picture's info on the display path only, and a picture
    decoded again for SDR loses them (with_display_profile clears what convert() copied)."""
    picture = Image.new("RGB", (2, 2))
    picture.info[display_colour.HDR_KEY] = display_colour.HdrColours(9, 16)
    display_colour.with_display_profile((picture, 2, 2), 64, None)
    assert display_colour.HDR_KEY not in picture.info
    assert display_colour.to_srgb_for_display(picture) is picture
    display_colour.with_display_profile((picture, 2, 2), None, display_colour.HdrColours(9, 16))
    assert display_colour.HDR_KEY not in picture.info  # not the display path: nothing put


def test_thumbnails_cached_as_stored_are_made_again(tmp_path):
    """DISK_FORMAT 4: an HDR photo's thumbnail cached by format 3 (as stored) is not shown."""
    path = png16(tmp_path / "hdr.png", bytes([9, 16, 0, 1]), 16)
    root = tmp_path / "thumbnails"
    st = os.stat(path)
    stamp = f"{st.st_mtime!r}\0{st.st_size}\0{change_time(st)}"
    old_key = hashlib.blake2b(f"{path}\0{stamp}\0{64}\0{3}".encode(),
                              digest_size=16).hexdigest()
    assert disk_key(str(path), st, 64) != old_key
    stale = root / old_key[:2] / f"{old_key}.jpg"
    stale.parent.mkdir(parents=True)
    shown(png16(tmp_path / "plain.png", None, 16)).save(stale, quality=95)
    image = make_thumbnail(str(path), 64, root)
    made = rgb_picture(image)
    assert np.abs(patch_colours(made) - expected(16)).max() <= 3


# A gray picture's colours were left alone (its profile changes little), and so was its HDR
# curve: a 16-bit gray PQ PNG or a monochrome HLG HEIC was shown washed out, as stored.
GRAY_NITS = (203, 26, 0, 1000)  # reference white, 18% grey, black, the peak


def gray_png(path, depth: int, cicp: bytes | None):
    values = pq_signal(GRAY_NITS) * (2**depth - 1)
    pixels = np.repeat(np.repeat(np.rint(values)[None, :], 160, 0), 80, 1)
    pixels = pixels.astype(">u2" if depth == 16 else np.uint8)
    rows = b"".join(b"\0" + row.tobytes() for row in pixels)
    chunks = [png_chunk(b"IHDR", struct.pack(">IIBBBBB", pixels.shape[1], 160, depth, 0, 0, 0, 0))]
    if cicp is not None:
        chunks.append(png_chunk(b"cICP", cicp))
    chunks += [png_chunk(b"IDAT", zlib.compress(rows)), png_chunk(b"IEND", b"")]
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"".join(chunks))
    return path


def gray_colours(picture: Image.Image) -> np.ndarray:
    arr = np.asarray(picture, float)
    w, h = picture.width / len(GRAY_NITS), picture.height
    return np.array([arr[h // 4:3 * h // 4, round(w * (i + 0.3)):round(w * (i + 0.7))]
                     .mean(axis=(0, 1)) for i in range(len(GRAY_NITS))])


def gray_expected() -> np.ndarray:
    return np.array([expected_srgb(np.full(3, n, float)) for n in GRAY_NITS])


@pytest.mark.parametrize("depth", [8, 16], ids=["8-bit", "16-bit"])
def test_a_gray_hdr_png_with_cicp_is_tone_mapped(tmp_path, depth):
    path = gray_png(tmp_path / "hdr.png", depth, bytes([9, 16, 0, 1]))
    assert Image.open(path).mode == ("L" if depth == 8 else "I;16")
    colours = gray_colours(shown(path))
    assert np.abs(colours - gray_expected()).max() <= 3, (colours.round(), gray_expected())
    plain = gray_png(tmp_path / "plain.png", depth, None)
    assert np.abs(colours - gray_colours(shown(plain))).max() > 40
    assert same_codes(path, plain)
    sdr = gray_png(tmp_path / "p3.png", depth, bytes([12, 13, 0, 1]))  # an SDR one: as before
    assert np.array_equal(np.asarray(shown(sdr)), np.asarray(shown(plain)))


@pytest.mark.parametrize("mode", ["L", "I;16"], ids=["8-bit", "10-bit"])
def test_a_monochrome_hdr_heic_is_tone_mapped(tmp_path, mode):
    pillow_heif.register_heif_opener()
    values = pq_signal(GRAY_NITS) * (255 if mode == "L" else 65535)
    pixels = np.repeat(np.repeat(np.rint(values)[None, :], 160, 0), 80, 1)
    pixels = pixels.astype(np.uint8 if mode == "L" else np.uint16)
    heif = pillow_heif.from_bytes(mode=mode, size=pixels.shape[::-1], data=pixels.tobytes())
    path = tmp_path / "mono.heic"
    heif.save(path, quality=-1, full_range_flag=1, color_primaries=9,
              transfer_characteristics=16, matrix_coefficients=0)
    assert Image.open(path).mode == mode
    colours = gray_colours(shown(path))
    assert np.abs(colours - gray_expected()).max() <= 3, (colours.round(), gray_expected())
