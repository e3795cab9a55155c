"""AVIF files branded "mif1" (the generic HEIF brand some encoders write first) are taken by
pillow-heif, whose libheif may lack an AV1 decoder: it raised a bare RuntimeError, recorded as
"unexpected error, please report this file". Pillow's own AVIF plugin reads them, as it reads
AVIF files branded "avif"; a picture no decoder here can read says so."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, features

from desktop_app.core import images

pytestmark = pytest.mark.skipif(not features.check("avif"), reason="Pillow without AVIF")


def _avif(tmp_path, brand: bytes):
    picture = Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 40, 3), np.uint8))
    out = io.BytesIO()
    picture.save(out, "AVIF")
    data = out.getvalue()
    assert data[4:12] == b"ftypavif"
    path = tmp_path / f"{brand.decode()}.avif"
    path.write_bytes(data[:8] + brand + data[12:])
    return path


def test_an_avif_branded_mif1_reads_as_one_branded_avif(tmp_path):
    plain = images.load_photo(_avif(tmp_path, b"avif"), min_size=(16, 16))
    generic = images.load_photo(_avif(tmp_path, b"mif1"), min_size=(16, 16))
    assert (generic.width, generic.height) == (plain.width, plain.height) == (40, 30)
    assert np.array_equal(np.asarray(generic.image), np.asarray(plain.image))


def test_a_picture_no_decoder_here_reads_is_said_so(tmp_path, monkeypatch):
    path = _avif(tmp_path, b"mif1")

    def no_decoder(*_args):
        raise RuntimeError("Support for this compression format has not been built in: AV1")

    monkeypatch.setattr(images, "_load", no_decoder)
    with pytest.raises(images.PhotoReadError, match=r"mif1\.avif: this image cannot be decoded "
                       r"here \(Support for this compression.*\)\. Convert it to JPEG or PNG"):
        images.load_photo(path)


def test_a_turned_avif_branded_mif1_says_its_upright_size(tmp_path):
    """libheif gives the size turned upright already, Pillow's AVIF plugin the stored one and
    the turn (irot) as EXIF orientation: the fallback said 40x30 of a picture it gave as 30x40."""
    picture = Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 40, 3), np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # written as irot/imir
    out = io.BytesIO()
    picture.save(out, "AVIF", exif=exif.tobytes())
    data = out.getvalue()
    (tmp_path / "avif.avif").write_bytes(data)
    (tmp_path / "mif1.avif").write_bytes(data[:8] + b"mif1" + data[12:])
    plain = images.load_photo(tmp_path / "avif.avif", min_size=(16, 16))
    generic = images.load_photo(tmp_path / "mif1.avif", min_size=(16, 16))
    assert generic.image.size == plain.image.size == (30, 40)
    assert (generic.width, generic.height) == (plain.width, plain.height) == (30, 40)


def test_a_runtime_error_outside_libheif_is_not_said_undecodable(tmp_path, monkeypatch):
    """Only libheif's RuntimeError means 'no decoder here': one from another format is a fault
    of ours, reported as one (the indexer's 'unexpected error, please report this file')."""
    path = tmp_path / "photo.png"
    Image.new("RGB", (8, 8)).save(path)

    def broken(*_args):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(images, "_load", broken)
    with pytest.raises(RuntimeError, match="a bug of ours"):
        images.load_photo(path)
