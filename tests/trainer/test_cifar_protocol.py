"""CIFAR-10 protocol 1 split used by bench/ (needs ../shared/datasets/cifar10-jpg.tar.gz)."""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
from cifar_data import ARCHIVE, CLASSES, protocol1

pytestmark = pytest.mark.skipif(not ARCHIVE.is_file(), reason=(
    f"{ARCHIVE} is absent: the CIFAR-10 archive lives outside the repository, in "
    "../shared/datasets/"))


def archive_labels() -> tuple[np.ndarray, np.ndarray]:
    """Labels and test flags from the archive's file names, in the order load_images uses."""
    names = []
    with tarfile.open(ARCHIVE) as tar:
        names = [m.name for m in tar.getmembers() if m.name.endswith(".jpg")]
    rows = []
    for name in names:
        part, cls, fname = Path(name).parts[-3:]
        rows.append((0 if part == "train" else 1, CLASSES.index(cls), fname))
    rows.sort()
    return np.array([r[1] for r in rows]), np.array([r[0] == 1 for r in rows])


@pytest.mark.slow  # reads the 19 MB archive's index: a few seconds
def test_protocol1_sizes_balance_and_disjointness():
    labels, is_test = archive_labels()
    assert len(labels) == 60000 and is_test.sum() == 10000
    split = protocol1(labels, is_test, seed=0)
    assert len(split.query) == 1000 and len(split.train) == 5000 and len(split.database) == 59000
    assert (np.bincount(labels[split.query]) == 100).all()
    assert (np.bincount(labels[split.train]) == 500).all()
    assert is_test[split.query].all()
    assert not set(split.query) & set(split.database)
    assert set(split.train) <= set(split.database)
    assert set(split.val) <= set(split.train) and not set(split.val) & set(split.fit)
    again = protocol1(labels, is_test, seed=0)
    assert np.array_equal(again.query, split.query) and np.array_equal(again.val, split.val)
