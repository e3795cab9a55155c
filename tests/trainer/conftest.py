"""Fixtures for the trainer tests: small labelled albums of real photo files."""

from __future__ import annotations

from pathlib import Path

import pytest
from photos import make_photo

# Three labels, each from different scikit-image photos, in several sizes and crops.
ALBUMS = {
    "cats": ["chelsea"],
    "space": ["astronaut", "rocket"],
    "microscopy": ["immunohistochemistry", "retina"],
}


def make_albums(root: Path, per_photo: int = 3) -> Path:
    for label, names in ALBUMS.items():
        for name in names:
            for k in range(per_photo):
                make_photo(root / label / f"{name}-{k}.jpg", name,
                           size=(96 + 16 * k, 80 + 8 * k), quality=80 + 5 * k)
    return root


@pytest.fixture
def albums(tmp_path) -> Path:
    return make_albums(tmp_path / "albums")


@pytest.fixture
def albums_at():
    """make_albums, for albums at a path a test chooses (`from conftest import` may find
    another folder's conftest module when the whole suite runs)."""
    return make_albums


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Heads here are tiny: one thread avoids OpenMP spin-waiting on a shared 2-core machine."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
