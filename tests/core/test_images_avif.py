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
