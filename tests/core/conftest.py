"""Fixtures for the core tests: a real library (SQLite file + tiny ONNX model) and photo folders."""

from __future__ import annotations

import pytest

from desktop_app.core.encoder import load_encoder
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store


@pytest.fixture(scope="session")
def tiny_encoder(tiny_model_dir):
    return load_encoder(tiny_model_dir, intra_op_threads=1)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "library.sqlite3")
    yield s
    s.close()


@pytest.fixture
def library(store, tiny_encoder):
    return PhotoLibrary(store, tiny_encoder, batch_size=4, decode_threads=2)


@pytest.fixture
def album(tmp_path, photo_factory):
    """A folder of five real photos, two of them near-duplicates (same picture, other quality)."""
    photo_factory("album/chelsea.jpg", "chelsea")
    photo_factory("album/chelsea-copy.jpg", "chelsea", quality=70)
    photo_factory("album/astronaut.png", "astronaut")
    photo_factory("album/sub/coffee.jpg", "coffee")
    photo_factory("album/sub/rocket.webp", "rocket")
    return tmp_path / "album"
