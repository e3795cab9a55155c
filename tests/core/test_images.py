"""Photo reading details the library relies on: draft decoding of big JPEGs, full size reported."""

from __future__ import annotations

from desktop_app.core import images
from desktop_app.core.model_card import InputSpec
from desktop_app.core.preprocess import draft_target, preprocess


def test_big_jpeg_is_draft_decoded_small_but_reports_full_size(photo_factory):
    path = photo_factory("big.jpg", "astronaut", size=(2400, 1800))
    spec = InputSpec(size=(224, 224), resize_shorter=224)
    loaded = images.load_photo(path, min_size=draft_target(spec))
    assert (loaded.width, loaded.height) == (2400, 1800)
    assert loaded.image.size == (300, 225)  # DCT scaling 1/8, still >= 224 both ways
    assert preprocess(loaded.image, spec).shape == (3, 224, 224)
    assert loaded.fingerprint == images.fingerprint(path)
    assert images.load_photo(path).image.size == (2400, 1800)  # no min_size: full decode


def test_is_photo_skips_hidden_and_partial_files():
    assert images.is_photo("/a/b/IMG_1.JPG") and images.is_photo("x.heic")
    assert not images.is_photo("/a/.hidden.jpg")
    assert not images.is_photo("/a/photo.jpg.part") and not images.is_photo("notes.txt")
