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


# Settings that make a whole run take seconds: small input, short code, a few steps.
FAST = ["--set", "backbone.size=32", "--set", "head.long_bits=24", "--set", "head.stages=[16, 12]",
        "--set", "head.long_steps=20", "--set", "head.active_steps=8", "--set",
        "head.merge_rounds=2", "--set", "head.frozen_steps=16", "--set", "head.eval_every=8",
        "--set", "head.batch_size=8", "--set", "train.threads=1"]


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Heads here are tiny: one thread avoids OpenMP spin-waiting on a shared 2-core machine."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
