"""The command line shows a camera's RAW+JPEG pair as one photo, as the app's results and
Duplicates tab do (core/raw_twins.py), with real DNGs and JPEGs indexed for real. Before,
`similar IMG_0001.JPG` listed IMG_0001.CR2 first and every other picture twice, and
`duplicates` made a group of every pair, the raw first and its JPEG after it: a script deleting
all but the first photo of each group deleted every camera JPEG."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cli_run import json_of, run
from photos import make_camera_raw, make_photo

from desktop_app import cli

MATCH_FIELDS = {"photo_id", "path", "distance", "similarity", "twins"}


def shot_raw_plus_jpeg(album, number: int, name: str):
    """A camera's RAW+JPEG pair of sample photo `name`: (raw, JPEG)."""
    return (make_camera_raw(album / f"IMG_{number:04d}.CR2", name),
            make_photo(album / f"IMG_{number:04d}.JPG", name))


def index(capsys, album, tiny_model_dir) -> None:
    for argv in (("models", "import", tiny_model_dir, "--activate"), ("index", album)):
        code, _, err = run(capsys, *argv)
        assert code == cli.EXIT_OK, err


def camera_album(capsys, tmp_path, tiny_model_dir):
    """Three pictures shot RAW+JPEG and one JPEG alone, indexed: {name: (raw, JPEG)}."""
    album = tmp_path / "album"
    pairs = {name: shot_raw_plus_jpeg(album, n, name)
             for n, name in enumerate(("chelsea", "astronaut", "rocket"), 1)}
    pairs["coffee"] = (None, make_photo(album / "DSC_0004.jpg", "coffee"))
    index(capsys, album, tiny_model_dir)
    return pairs


def test_similar_lists_each_picture_once_as_its_jpeg_marked_with_its_raw(
        capsys, tmp_path, tiny_model_dir):
    pairs = camera_album(capsys, tmp_path, tiny_model_dir)
    raw, jpeg = pairs["chelsea"]
    (answer,) = json_of(capsys, "similar", jpeg)["results"]
    matches = answer["matches"]
    # Its own raw left out, every other picture once: the JPEG, naming its raw.
    by_path = {m["path"]: m["twins"] for m in matches}
    assert by_path == {str(pairs["astronaut"][1]): [str(pairs["astronaut"][0])],
                       str(pairs["rocket"][1]): [str(pairs["rocket"][0])],
                       str(pairs["coffee"][1]): []}
    assert len(matches) == 3
    for m in matches:  # the fields scripts read are as they were
        assert set(m) == MATCH_FIELDS
        assert m["similarity"] == round(1 - m["distance"] / 48, 4)
    assert [m["distance"] for m in matches] == sorted(m["distance"] for m in matches)
    # Searched with the raw, its JPEG is left out alike.
    (answer,) = json_of(capsys, "similar", raw)["results"]
    assert answer["matches"] == matches

    code, out, _ = run(capsys, "similar", jpeg)
    assert code == cli.EXIT_OK
    notes = {m["path"]: f"  (RAW+JPEG: {os.path.basename(m['twins'][0])})" if m["twins"] else ""
             for m in matches}
    assert out.splitlines()[1:] == [
        f"  {rank:3d}. distance {m['distance']:3d}  {m['path']}{notes[m['path']]}"
        for rank, m in enumerate(matches, 1)]
    assert "IMG_0002.JPG  (RAW+JPEG: IMG_0002.CR2)" in out


def test_similar_fills_the_matches_asked_for_with_pictures(capsys, tmp_path, tiny_model_dir):
    """-k 2: the two closest pictures, not a picture and its raw (nor its own raw first)."""
    pairs = camera_album(capsys, tmp_path, tiny_model_dir)
    jpeg = pairs["chelsea"][1]
    (every,) = json_of(capsys, "similar", jpeg)["results"]
    (two,) = json_of(capsys, "similar", jpeg, "-k", "2")["results"]
    assert two["matches"] == every["matches"][:2]
    assert not any(m["path"].endswith(".CR2") for m in two["matches"])


def test_similar_with_a_jpeg_not_indexed_yet_leaves_out_its_raw(capsys, tmp_path,
                                                                 tiny_model_dir, monkeypatch):
    """The camera's JPEG copied in after the raw was indexed, given by a relative path: still
    the raw's twin, left out."""
    album = tmp_path / "album"
    raw = make_camera_raw(album / "IMG_0001.CR2", "chelsea")
    other = make_photo(album / "DSC_0002.jpg", "astronaut")
    index(capsys, album, tiny_model_dir)
    make_photo(album / "IMG_0001.JPG", "chelsea")
    monkeypatch.chdir(album)
    (answer,) = json_of(capsys, "similar", "IMG_0001.JPG")["results"]
    assert answer["in_library"] is False
    assert [(m["path"], m["twins"]) for m in answer["matches"]] == [(str(other), [])]
    assert str(raw) not in run(capsys, "similar", "IMG_0001.JPG")[1]


def test_duplicates_a_raw_plus_jpeg_pair_alone_is_no_group(capsys, tmp_path, tiny_model_dir):
    album = tmp_path / "album"
    shot_raw_plus_jpeg(album, 1, "chelsea")
    make_photo(album / "DSC_0002.jpg", "astronaut")
    index(capsys, album, tiny_model_dir)
    data = json_of(capsys, "duplicates")
    assert data["groups"] == []
    code, out, _ = run(capsys, "duplicates")
    assert code == cli.EXIT_OK
    assert out == f"No near-identical photos (within {data['max_distance']} bits).\n"


def test_duplicates_list_the_raw_for_its_pair_beside_a_real_copy(capsys, tmp_path,
                                                                 tiny_model_dir):
    """A pair and a copy of its JPEG: one group of two photos, the raw (its JPEG named, not
    listed) and the copy, the one deleting all but the first would delete."""
    album = tmp_path / "album"
    raw, jpeg = shot_raw_plus_jpeg(album, 1, "chelsea")
    copy = album / "IMG_0001 (1).JPG"
    shutil.copy2(jpeg, copy)
    shot_raw_plus_jpeg(album, 2, "astronaut")  # a pair alone: no group
    make_photo(album / "DSC_0003.jpg", "rocket")
    index(capsys, album, tiny_model_dir)
    (group,) = json_of(capsys, "duplicates")["groups"]
    assert [(m["path"], m["keep_because"], m["twins"]) for m in group] == [
        (str(raw), "the camera's raw file", [str(jpeg)]), (str(copy), None, [])]
    assert all(set(m) == MATCH_FIELDS | {"keep_because"} for m in group)
    # The copy's distance is to the raw, as `similar` with the raw measures it.
    (near,) = json_of(capsys, "similar", raw)["results"]
    to_copy = next(m["distance"] for m in near["matches"] if m["path"] == str(copy))
    assert [m["distance"] for m in group] == [0, to_copy]

    code, out, _ = run(capsys, "duplicates")
    assert code == cli.EXIT_OK
    assert out.splitlines() == [
        "Group 1 (2 photos), keep the first: the camera's raw file",
        f"  distance   0  {raw}  (RAW+JPEG: IMG_0001.JPG, the same photo, not listed)",
        f"  distance {to_copy:3d}  {copy}"]


def test_duplicates_two_raws_of_one_name_both_name_their_jpeg(capsys, tmp_path, tiny_model_dir):
    """A camera's RAW+JPEG pair and the raw's DNG conversion beside them: the two raws are a
    group, each naming the one JPEG (the same photo). A script deleting the raw listed after
    the first with its `twins` deleted the JPEG of the raw kept: docs/cli.md says to delete
    only the twins the first photo does not name."""
    album = tmp_path / "album"
    raw = make_camera_raw(album / "IMG_0001.CR2", "chelsea")
    dng = make_camera_raw(album / "IMG_0001.DNG", "chelsea", preview_side=800)
    jpeg = make_photo(album / "IMG_0001.JPG", "chelsea")
    make_photo(album / "DSC_0002.jpg", "astronaut")
    index(capsys, album, tiny_model_dir)
    (group,) = json_of(capsys, "duplicates", "--max-distance", "12")["groups"]
    assert sorted((m["path"], m["twins"]) for m in group) == [
        (str(raw), [str(jpeg)]), (str(dng), [str(jpeg)])]
    # As docs/cli.md says: all but the first, with those of their twins the first does not name.
    kept = {group[0]["path"], *group[0]["twins"]}
    deleted = {path for m in group[1:] for path in (m["path"], *m["twins"]) if path not in kept}
    assert deleted == {group[1]["path"]}
    docs = " ".join((Path(__file__).parents[1] / "docs" / "cli.md").read_text().split())
    assert ("delete with it those of its `twins` that the first photo does not name" in docs)
