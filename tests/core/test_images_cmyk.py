"""Print files: CMYK and YCCK JPEGs (Photoshop's two ways of storing inks) and CMYK TIFFs are
shown and encoded in the colours their embedded ICC profile gives, as viewers show them. The
plain CMYK formula takes the inks for ideal ones: cyan ink came out as (0, 255, 255)."""

from __future__ import annotations

import io
import itertools
import struct

import numpy as np
import pytest
from photos import sample_image
from PIL import Image, ImageCms

from desktop_app.core import images


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def cmyk_profile() -> bytes:
    """A small but real ICC v2 printer profile: inks of real hues on off-white paper, every
    ink combination a corner of a 2x2x2x2 table (CMYK -> Lab). Print shops' profiles are
    bigger tables of the same kind."""
    paper = np.array([250, 248, 240]) / 255
    inks = np.array([[0, 170, 235], [235, 0, 140], [255, 235, 0], [35, 31, 32]]) / 255
    corners = []
    for on in itertools.product((0, 1), repeat=4):  # the first ink varies slowest
        corners.append(np.prod([paper, *(ink for ink, o in zip(inks, on) if o)], axis=0))
    rgb = Image.fromarray(np.round(np.array(corners)[None] * 255).astype(np.uint8), "RGB")
    lab = ImageCms.applyTransform(rgb, ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB"))
    table = b"".join(struct.pack(">3H", round(L / 255 * 65280), (a ^ 128) << 8, (b ^ 128) << 8)
                     for L, a, b in np.asarray(lab)[0].astype(int))
    lut = (b"mft2" + bytes(4) + bytes([4, 3, 2, 0])
           + b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1)) + struct.pack(">HH", 2, 2)
           + struct.pack(">2H", 0, 65535) * 4 + table + struct.pack(">2H", 0, 65535) * 3)
    d50 = _s15(0.9642) + _s15(1.0) + _s15(0.8249)
    tags = [(b"desc", b"desc" + bytes(4) + struct.pack(">I", 5) + b"test\0" + bytes(78)),
            (b"cprt", b"text" + bytes(4) + b"none\0"), (b"wtpt", b"XYZ " + bytes(4) + d50),
            (b"A2B0", lut)]
    offset, table_, body = 128 + 4 + 12 * len(tags), b"", b""
    for sig, data in tags:
        data += bytes(-len(data) % 4)
        table_ += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (struct.pack(">I", offset + len(body)) + bytes(4) + struct.pack(">I", 0x02100000)
              + b"prtrCMYKLab " + bytes(12) + b"acsp" + bytes(28) + d50)
    return header.ljust(128, b"\0") + struct.pack(">I", len(tags)) + table_ + body


def ycck_jpeg(cmyk: Image.Image, **options) -> bytes:
    """The same inks stored as YCCK (Adobe transform 2): Pillow writes only plain CMYK, so the
    planes are converted here and the marker says so."""
    c = np.asarray(cmyk)
    ycc = np.asarray(Image.fromarray(c[..., :3], "RGB").convert("YCbCr"))
    planes = Image.fromarray(np.concatenate([255 - ycc, c[..., 3:]], -1), "CMYK")
    buf = io.BytesIO()
    planes.save(buf, "JPEG", **options)
    data = bytearray(buf.getvalue())
    adobe = data.index(b"Adobe\0")
    data[adobe + 11] = 2  # the transform flag: YCCK
    return bytes(data)


@pytest.fixture(scope="module")
def print_file():
    """A photo as a print shop sends it: inks with black, and their profile."""
    photo = np.asarray(sample_image("coffee").resize((480, 320)), np.float64) / 255
    k = 1 - photo.max(-1, keepdims=True)  # grey component replaced by black ink
    cmy = (1 - photo - k) / np.maximum(1 - k, 1e-6)
    inks = np.round(np.concatenate([cmy, k], -1) * 255).astype(np.uint8)
    return Image.fromarray(inks, "CMYK"), cmyk_profile()


def _diff(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).mean())


def test_print_files_are_read_through_their_profile(tmp_path, print_file):
    cmyk, profile = print_file
    as_printed = ImageCms.profileToProfile(cmyk, ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                                           ImageCms.createProfile("sRGB"), outputMode="RGB")
    assert _diff(as_printed, cmyk.convert("RGB")) > 12  # the plain formula is far off
    files = {"cmyk.jpg": None, "ycck.jpg": ycck_jpeg(cmyk, quality=95, icc_profile=profile),
             "cmyk.tif": None}
    cmyk.save(tmp_path / "cmyk.jpg", quality=95, icc_profile=profile)
    cmyk.save(tmp_path / "cmyk.tif", icc_profile=profile)
    (tmp_path / "ycck.jpg").write_bytes(files["ycck.jpg"])
    for name in files:
        for min_size in (None, (224, 224), (160, 160)):  # full, encoder, thumbnail
            image = images.load_photo(tmp_path / name, min_size=min_size).image
            reference = as_printed.resize(image.size, Image.Resampling.BOX)
            assert _diff(image, reference) < 4, (name, min_size)


def test_a_broken_or_wrong_profile_does_not_cost_the_photo(tmp_path, print_file):
    cmyk, profile = print_file
    wrong = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()  # RGB, not CMYK
    for name, icc in (("cut.jpg", profile[:200]), ("rgb-profile.jpg", wrong),
                      ("garbage.jpg", b"\x00" * 300)):
        cmyk.save(tmp_path / name, quality=95, icc_profile=icc)
        image = images.load_photo(tmp_path / name, min_size=(224, 224)).image
        plain = cmyk.convert("RGB").resize(image.size, Image.Resampling.BOX)
        assert image.mode == "RGB" and _diff(image, plain) < 4, name
