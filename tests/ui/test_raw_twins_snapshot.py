"""The window's search snapshot lists a camera's RAW+JPEG pair once (ui/search.py over a real
HammingIndex, codes set by hand): each page of results holds as many pictures as asked for,
the longer lists "Show more" asks for start with the shorter ones and never bring a raw back,
and a duplicate group whose JPEG twin left it has its distances to the photo now first."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest

from desktop_app.core.camera_raw import is_raw_name
from desktop_app.core.hashing import HammingIndex
from desktop_app.ui.search import SearchSnapshot

CARD = os.path.join("photos", "card")


def snapshot(files: list[tuple[str, int]]) -> SearchSnapshot:
    """Photos (name in CARD or a path, 8-bit code), ids from 1 in that order."""
    ids = np.arange(1, len(files) + 1)
    codes = np.array([[code] for _, code in files], dtype=np.uint8)
    paths = [name if os.sep in name else os.path.join(CARD, name) for name, _ in files]
    return SearchSnapshot(HammingIndex(ids, codes, 8), dict(zip(ids.tolist(), paths)))


def at(distance: int) -> int:
    """The 8-bit code at `distance` from code 0."""
    return (1 << distance) - 1


def names(matches) -> list[str]:
    return [os.path.basename(m.path) for m in matches]


def test_every_page_holds_as_many_pictures_as_asked_and_starts_with_the_last():
    # Each picture as the camera's JPEG, its raw and a DNG converted from it: three hits a
    # result, so 2k + 1 hits do not make k results.
    files = [("IMG_0.JPG", 0)]
    for n in range(1, 9):
        files += [(f"IMG_{n}.{suffix}", at(n)) for suffix in ("JPG", "CR2", "DNG")]
    snap = snapshot(files)
    everything = snap.similar(1, None)
    assert names(everything) == [f"IMG_{n}.JPG" for n in range(1, 9)]
    assert all(m.twins == tuple(os.path.join(CARD, f"IMG_{n}.{s}") for s in ("CR2", "DNG"))
               for n, m in enumerate(everything, 1))
    for k in range(1, 9):
        assert snap.similar(1, k) == everything[:k], k


def test_a_raw_left_out_of_a_page_never_comes_back_on_a_longer_one():
    # Ties by id: a raw before its JPEG, a JPEG before its raw, a raw whose JPEG is further.
    snap = snapshot([("query.jpg", 0), ("A.CR2", at(1)), ("A.JPG", at(1)), ("B.JPG", at(1)),
                     ("B.NEF", at(1)), ("C.ARW", at(2)), ("D.jpg", at(2)), ("C.jpg", at(3)),
                     ("E.png", at(4))])
    pages = [snap.similar(1, k) for k in range(1, 7)]
    for shorter, longer in itertools.pairwise(pages):
        left_out = {m.twins for m in shorter if m.twins}
        assert not any((m.path,) in left_out for m in longer)
        assert all(not is_raw_name(m.path) for m in longer if (m.path,) in left_out)
    assert names(pages[0]) == ["A.JPG"] and pages[0][0].twins  # its raw right after it
    assert names(pages[1]) == ["A.JPG", "B.JPG"] and pages[1][1].twins
    # C's raw shows alone while its JPEG lies beyond the results, then gives way to it.
    assert names(pages[2]) == ["A.JPG", "B.JPG", "C.ARW"]
    assert names(pages[3]) == ["A.JPG", "B.JPG", "D.jpg", "C.jpg"]
    assert names(pages[5]) == ["A.JPG", "B.JPG", "D.jpg", "C.jpg", "E.png"]


def test_the_photo_searched_for_leaves_out_its_own_twin_and_counts_it():
    snap = snapshot([("IMG_1.CR2", 0), ("IMG_1.JPG", 0), ("IMG_2.JPG", at(5))])
    found = snap.similar(2, 40)
    assert names(found) == ["IMG_2.JPG"] and found.own_twins == 1
    found = snap.similar(1, 40)
    assert names(found) == ["IMG_2.JPG"] and found.own_twins == 1
    # A photo dropped from outside the library, beside the raw of its picture.
    found = snap.similar_to_code(np.array([0], dtype=np.uint8), 40,
                                 query_path=os.path.join(CARD, "img_1.jpeg"))
    assert names(found) == ["IMG_1.JPG", "IMG_2.JPG"] and found.own_twins == 1


def test_a_duplicate_group_without_its_jpeg_has_distances_to_its_first_photo():
    elsewhere = os.path.join("photos", "backup", "IMG_1 (1).JPG")
    snap = snapshot([("IMG_1.JPG", 0b0000), ("IMG_1.CR2", 0b0001), (elsewhere, 0b0011),
                     ("IMG_2.CR2", 0b1111_1111), ("IMG_2.JPG", 0b1111_1111),
                     ("a.jpg", 0b0011_1100), ("b.jpg", 0b0011_1100)])
    groups = snap.duplicates(2)
    assert [[(os.path.basename(m.path), m.distance, m.twins) for m in g] for g in groups] == [
        [("IMG_1.CR2", 0, (os.path.join(CARD, "IMG_1.JPG"),)), ("IMG_1 (1).JPG", 1, ())],
        [("a.jpg", 0, ()), ("b.jpg", 0, ())]]


def test_finding_duplicates_stops_between_groups_when_asked(monkeypatch):
    """Each group's twins are looked for, one group after another: 100,000 RAW+JPEG pairs
    took seconds after a stop was asked (a new search, the window closed)."""
    from desktop_app.core import raw_twins
    from desktop_app.core.duplicates import SearchStopped

    snap = snapshot([(f"IMG_{n}.{suffix}", n) for n in range(3) for suffix in ("JPG", "CR2")])
    stop, folded = [], []
    real = raw_twins.without_raw_twins

    def fold(group):
        folded.append(group)
        stop.append(True)  # the user asks to stop while the first group is folded
        return real(group)

    monkeypatch.setattr(raw_twins, "without_raw_twins", fold)
    with pytest.raises(SearchStopped):
        snap.duplicates(0, should_stop=lambda: bool(stop))
    assert len(folded) == 1
