"""Photo reading details the library relies on: draft decoding of big JPEGs, full size reported."""

from __future__ import annotations

import numpy as np
import pytest
from photos import sample_image
from PIL import Image

from desktop_app.core import images
from desktop_app.core.model_card import InputSpec
from desktop_app.core.preprocess import draft_target, preprocess, to_tensor


def test_big_jpeg_is_draft_decoded_small_but_reports_full_size(photo_factory):
    path = photo_factory("big.jpg", "astronaut", size=(2400, 1800))
    spec = InputSpec(size=(224, 224), resize_shorter=224)
    loaded = images.load_photo(path, min_size=draft_target(spec))
    assert (loaded.width, loaded.height) == (2400, 1800)
    assert loaded.image.size == (300, 225)  # DCT scaling 1/8, still >= 224 both ways
    assert preprocess(loaded.image, spec).shape == (3, 224, 224)
    assert loaded.fingerprint == images.fingerprint(path)
    assert images.load_photo(path).image.size == (2400, 1800)  # no min_size: full decode


def test_to_tensor_normalises_each_channel_into_chw_layout():
    """pixel = (value * scale - mean) / std per channel, channels first, as the card says."""
    spec = InputSpec(size=(2, 3), scale=1 / 255, mean=(0.485, 0.456, 0.406),
                     std=(0.229, 0.224, 0.225))
    rgb = np.arange(18, dtype=np.uint8).reshape(2, 3, 3) * 14
    out = to_tensor(Image.fromarray(rgb, "RGB"), spec)
    assert out.shape == (3, 2, 3) and out.dtype == np.float32 and out.flags["C_CONTIGUOUS"]
    for c in range(3):
        for y in range(2):
            for x in range(3):
                expected = (float(rgb[y, x, c]) / 255 - spec.mean[c]) / spec.std[c]
                assert out[c, y, x] == pytest.approx(expected, abs=1e-6)


def test_is_photo_skips_hidden_and_partial_files():
    assert images.is_photo("/a/b/IMG_1.JPG") and images.is_photo("x.heic")
    assert not images.is_photo("/a/.hidden.jpg")
    assert not images.is_photo("/a/photo.jpg.part") and not images.is_photo("notes.txt")


def _pillow_draft(path, side):
    """The reference: Pillow's own DCT-scaled decode, orientation applied."""
    from PIL import ImageOps

    image = Image.open(path)
    image.draft("RGB", (side, side))
    return ImageOps.exif_transpose(image.convert("RGB"))


@pytest.mark.parametrize("orientation", [1, 6])
def test_fast_jpeg_decode_matches_pillow_draft(photo_factory, orientation):
    path = photo_factory(f"o{orientation}.jpg", "astronaut", size=(2400, 1800),
                         orientation=orientation)
    fast = images.load_photo(path, min_size=(224, 224)).image
    reference = _pillow_draft(path, 224)
    assert fast.size == reference.size == ((300, 225) if orientation == 1 else (225, 300))
    diff = np.abs(np.asarray(fast, np.int16) - np.asarray(reference, np.int16))
    # At most the chroma upsampling may differ (fast vs fancy): small, local, never another picture.
    assert diff.mean() < 1.5 and np.percentile(diff, 99) < 24


def test_gray_and_cmyk_jpegs_decode_small_to_rgb(tmp_path):
    base = sample_image("astronaut").resize((1600, 1200))
    gray, cmyk = tmp_path / "gray.jpg", tmp_path / "cmyk.jpg"
    base.convert("L").save(gray, quality=90)
    base.convert("CMYK").save(cmyk, quality=90)  # libjpeg-turbo's fast path cannot; Pillow does
    for path in (gray, cmyk):
        loaded = images.load_photo(path, min_size=(224, 224))
        assert loaded.image.mode == "RGB" and loaded.image.size == (400, 300), path.name
        reference = _pillow_draft(path, 224)
        diff = np.abs(np.asarray(loaded.image, np.int16) - np.asarray(reference, np.int16))
        assert diff.mean() < 1.5, path.name


def test_truncated_jpeg_is_refused_on_the_fast_path_too(photo_factory):
    path = photo_factory("t.jpg", "astronaut", size=(1600, 1200))
    path.write_bytes(path.read_bytes()[:20000])
    with pytest.raises(images.PhotoReadError, match="damaged or truncated"):
        images.load_photo(path, min_size=(224, 224))


def test_fingerprint_follows_content_not_name(tmp_path):
    a, b, c = tmp_path / "a.jpg", tmp_path / "b.jpg", tmp_path / "c.jpg"
    a.write_bytes(b"\xff\xd8" + bytes(range(256)) * 40)
    b.write_bytes(a.read_bytes())
    c.write_bytes(a.read_bytes()[:-1] + b"\x00")
    assert images.fingerprint(a) == images.fingerprint(b) != images.fingerprint(c)
    assert len(images.fingerprint(a)) == 32
