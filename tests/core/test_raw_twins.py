"""A camera's RAW+JPEG twins, told from their paths alone (core/raw_twins.py): files of one
folder whose names differ only by their suffix, one a camera raw and the other not; a search's
results and a duplicate group list such a pair once."""

from __future__ import annotations

import os
import unicodedata

from desktop_app.core.raw_twins import (
    OnePerPicture,
    are_twins,
    kind_name,
    pair_label,
    twin_groups,
    twin_key,
    without_raw_twins,
)
from desktop_app.core.records import Match

CARD = os.path.join("photos", "2024", "card")
ELSEWHERE = os.path.join("photos", "backup")


def at(name: str, folder: str = CARD) -> str:
    return os.path.join(folder, name)


def matches(*names: str, folder: str = CARD) -> list[Match]:
    """Matches of `names` in order, at rising distances."""
    return [Match(i + 1, name if os.sep in name else at(name, folder), i, 48)
            for i, name in enumerate(names)]


def test_a_raw_and_its_jpeg_are_twins_whatever_the_case_of_their_names():
    assert are_twins(at("IMG_0001.CR2"), at("IMG_0001.JPG"))
    assert are_twins(at("IMG_0001.cr2"), at("img_0001.jpg"))
    assert are_twins(at("DSC_0042.NEF"), at("DSC_0042.jpeg"))
    assert twin_key(at("IMG_0001.CR2")) == twin_key(at("img_0001.JPG"))


def test_a_name_macos_gives_in_nfd_matches_its_twin_in_nfc():
    nfd = unicodedata.normalize("NFD", "Café_1")
    nfc = unicodedata.normalize("NFC", "Café_1")
    assert nfd != nfc
    assert are_twins(at(f"{nfd}.NEF"), at(f"{nfc}.JPG"))
    folder = os.path.join("photos", unicodedata.normalize("NFD", "Réunion"))
    assert are_twins(at("IMG_1.ARW", folder),
                     at("IMG_1.jpg", unicodedata.normalize("NFC", folder)))


def test_a_raw_and_its_heic_are_twins_and_say_so():
    assert are_twins(at("IMG_1.CR3"), at("IMG_1.HEIC"))
    assert are_twins(at("IMG_1.CR3"), at("IMG_1.HIF"))
    assert kind_name(at("IMG_1.jpeg")) == "JPEG" and kind_name(at("IMG_1.heic")) == "HEIC"
    jpeg, heic = matches("IMG_1.JPG", "IMG_1.HEIC")
    assert pair_label(Match(1, jpeg.path, 0, 48, twins=(at("IMG_1.CR2"),))) == "RAW+JPEG"
    assert pair_label(Match(1, at("IMG_1.CR2"), 0, 48, twins=(heic.path,))) == "RAW+HEIC"
    assert pair_label(jpeg) == ""


def test_two_files_that_are_not_raws_are_twins_of_the_raw_only():
    paths = [at("IMG_1.JPG"), at("IMG_2.JPG"), at("IMG_1.HEIC"), at("IMG_1.CR2")]
    assert not are_twins(paths[0], paths[2])
    assert are_twins(paths[0], paths[3]) and are_twins(paths[2], paths[3])
    assert twin_groups(paths) == [[0, 2, 3]]


def test_files_of_different_folders_are_not_twins():
    assert not are_twins(at("IMG_1.CR2"), at("IMG_1.JPG", ELSEWHERE))
    assert twin_groups([at("IMG_1.CR2"), at("IMG_1.JPG", ELSEWHERE)]) == []
    # Nor a raw and its JPEG whose names differ by more than the suffix.
    assert not are_twins(at("IMG_1.CR2"), at("IMG_1 (1).JPG"))


def test_a_raw_alone_or_two_raws_of_one_name_have_no_twin():
    assert twin_groups([at("IMG_1.CR2")]) == []
    assert twin_groups([at("IMG_1.CR2"), at("IMG_1.DNG")]) == []
    assert not are_twins(at("IMG_1.CR2"), at("IMG_1.DNG"))
    assert twin_groups([at("IMG_1.JPG"), at("IMG_1.HEIC")]) == []


def results(hits: list[Match], query: str = "", most: int | None = None) -> OnePerPicture:
    pictures = OnePerPicture(query)
    for hit in hits:
        if not pictures.add(hit, most):
            break
    return pictures


def test_a_search_lists_a_pair_once_as_its_jpeg_marked_with_its_raw():
    hits = matches("IMG_2.CR2", "IMG_2.JPG", "IMG_3.JPG", "IMG_4.NEF", "IMG_3.CR2")
    pictures = results(hits)
    shown = pictures.results()
    assert [os.path.basename(m.path) for m in shown] == ["IMG_2.JPG", "IMG_3.JPG", "IMG_4.NEF"]
    assert [m.twins for m in shown] == [(at("IMG_2.CR2"),), (at("IMG_3.CR2"),), ()]
    assert [m.distance for m in shown] == [1, 2, 3]  # the JPEG's own distance
    assert pictures.count == 3 and pictures.own_twins == 0


def test_the_photo_searched_for_does_not_find_its_own_twin():
    hits = matches("IMG_1.CR2", "IMG_1 (1).JPG", "IMG_1.HEIC")
    pictures = results(hits, query=at("IMG_1.JPG"))
    # Its raw left out; its HEIC, no twin of a JPEG, is another photo, with that raw.
    assert [(os.path.basename(m.path), m.twins) for m in pictures.results()] == [
        ("IMG_1 (1).JPG", ()), ("IMG_1.HEIC", (at("IMG_1.CR2"),))]
    assert pictures.own_twins == 1
    pictures = results(matches("IMG_1.JPG", "IMG_1.HEIC", "IMG_2.JPG"), query=at("IMG_1.CR2"))
    assert [os.path.basename(m.path) for m in pictures.results()] == ["IMG_2.JPG"]
    assert pictures.own_twins == 2
    # Elsewhere, the same name is another photo.
    pictures = results(matches("IMG_1.CR2", folder=ELSEWHERE), query=at("IMG_1.JPG"))
    assert len(pictures.results()) == 1 and pictures.own_twins == 0


def test_a_search_stops_before_the_hit_that_would_make_one_result_too_many():
    hits = matches("IMG_1.JPG", "IMG_1.CR2", "IMG_2.CR2", "IMG_2.JPG", "IMG_3.JPG", "IMG_3.CR2")
    first = results(hits, most=1)
    # The raw after the JPEG adds no result: taken, so the JPEG is shown marked at once.
    assert [(os.path.basename(m.path), m.twins) for m in first.results()] == [
        ("IMG_1.JPG", (at("IMG_1.CR2"),))]
    second = results(hits, most=2)
    # IMG_2's JPEG takes its raw's place: still two results, and the raw never shows.
    assert [os.path.basename(m.path) for m in second.results()] == ["IMG_1.JPG", "IMG_2.JPG"]
    assert second.results()[:1] == first.results()
    assert [os.path.basename(m.path) for m in results(hits, most=3).results()] == [
        "IMG_1.JPG", "IMG_2.JPG", "IMG_3.JPG"]


def test_a_duplicate_group_lists_the_raw_with_its_twin_and_a_pair_alone_is_no_group():
    pair = matches("IMG_1.CR2", "IMG_1.JPG")
    assert without_raw_twins(pair) == [Match(1, at("IMG_1.CR2"), 0, 48,
                                             twins=(at("IMG_1.JPG"),))]
    assert len(without_raw_twins(matches("IMG_1.JPG", "IMG_1.CR2", "IMG_1.HEIC"))) == 1
    with_copy = matches("IMG_1.JPG", "IMG_1.CR2", os.path.join(ELSEWHERE, "IMG_1 (1).JPG"))
    group = without_raw_twins(with_copy)
    assert [(m.path, m.twins) for m in group] == [
        (at("IMG_1.CR2"), (at("IMG_1.JPG"),)), (os.path.join(ELSEWHERE, "IMG_1 (1).JPG"), ())]
    # Two raws of one name (a DNG converted from the CR2) are copies: both stay, with the JPEG.
    raws = without_raw_twins(matches("IMG_1.CR2", "IMG_1.DNG", "IMG_1.JPG"))
    assert [(os.path.basename(m.path), m.twins) for m in raws] == [
        ("IMG_1.CR2", (at("IMG_1.JPG"),)), ("IMG_1.DNG", (at("IMG_1.JPG"),))]
    plain = matches("a.jpg", "b.jpg")
    assert without_raw_twins(plain) == plain


def test_the_keeper_keeps_the_twins_a_match_stands_for(tmp_path):
    """keeper_first made each Match anew from four fields: the raw's `twins` (its JPEG, not
    listed) were lost, and with them the tooltip naming it."""
    import numpy as np

    from desktop_app.core.hashing import HammingIndex
    from desktop_app.core.keeper import keeper_first
    from desktop_app.core.records import Match

    index = HammingIndex(np.array([1, 2]), np.array([[0b1111], [0b1110]], dtype=np.uint8), 8)
    group = [Match(1, str(tmp_path / "IMG_1.CR2"), 0, 8, twins=(str(tmp_path / "IMG_1.JPG"),)),
             Match(2, str(tmp_path / "IMG_1 (1).JPG"), 1, 8)]
    kept = keeper_first(group, index)
    assert {m.photo_id: m.twins for m in kept} == {1: (str(tmp_path / "IMG_1.JPG"),), 2: ()}


def test_a_search_fetches_more_hits_until_it_has_the_pictures_asked_for():
    """closest_pictures fetches 2k + 1 hits first, then twice as many while they make fewer than
    k results (the photo's own twins, hits without a path): the results are those of the
    closest hits, as if every hit had been looked at, with whether one more was left."""
    import numpy as np

    from desktop_app.core.hashing import HammingIndex
    from desktop_app.core.raw_twins import closest_pictures

    names = ["IMG_0.JPG", "IMG_0.HEIC", "IMG_0.PNG", "gone.jpg", "IMG_1.CR2", "IMG_1.JPG",
             "IMG_2.JPG", "IMG_3.NEF"]  # at rising distances, ids 1..8
    index = HammingIndex(np.arange(1, 9), np.array([[(1 << d) - 1] for d in range(8)],
                                                    dtype=np.uint8), 8)
    paths = {i + 1: at(name) for i, name in enumerate(names) if name != "gone.jpg"}
    asked = []

    def paths_of(ids: list[int]) -> dict[int, str]:
        asked.append(ids)
        return {i: paths[i] for i in ids if i in paths}

    query = np.array([0], dtype=np.uint8)
    pictures, more = closest_pictures(index, query, paths_of, 1, query_path=at("IMG_0.CR2"))
    assert [(os.path.basename(m.path), m.twins) for m in pictures.results()] == [
        ("IMG_1.JPG", (at("IMG_1.CR2"),))]
    assert more and pictures.own_twins == 3
    # 3 hits, then 6, then 12 (the 8 there are): a hit making one result too many tells that
    # there is more. A hit is asked for once.
    assert asked == [[1, 2, 3], [4, 5, 6], [7, 8]]
    for k in (2, 3, None):
        pictures, more = closest_pictures(index, query, paths_of, k,
                                          query_path=at("IMG_0.CR2"))
        assert [os.path.basename(m.path) for m in pictures.results()] == [
            "IMG_1.JPG", "IMG_2.JPG", "IMG_3.NEF"][:k]
        assert more == (k == 2)
    pictures, more = closest_pictures(index, query, paths_of, 5, max_distance=5,
                                      query_path=at("IMG_0.CR2"))
    assert [os.path.basename(m.path) for m in pictures.results()] == ["IMG_1.JPG"]
    assert not more
