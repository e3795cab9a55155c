"""The library's walks and folder links into folders that have their names already: a link in
library folder R into another library folder B (R/b_link -> B) indexed B's photos a second time
as R/b_link/..., which the watcher never reports; a link into R itself (R/a_link -> R/z_real)
named z_real's photos through the link. An upgrade moves the records named the old way to the
new names, with their ids and codes (nothing encoded again), and drops the second names. Real
files, a real SQLite library and the tiny real ONNX model."""

from __future__ import annotations

import os
import shutil

import pytest
from photos import make_photo

pytestmark = pytest.mark.skipif(os.name == "nt", reason="folder links need rights on Windows")


def _names(library, top) -> list[str]:
    return sorted(os.path.relpath(p.path, top) for p in library.photos())


def _codes(library, top) -> dict[str, tuple[int, bytes | None]]:
    """path (below `top`) -> (photo id, its code; None for a failed photo)."""
    index = library.search_index()
    return {os.path.relpath(p.path, top): (
        p.id, index.code_of(p.id).tobytes() if p.status == "ok" else None)
        for p in library.photos()}


def test_a_link_into_another_library_folder_is_not_indexed_twice(library, tmp_path):
    root, other = tmp_path / "R", tmp_path / "B"
    make_photo(root / "r.jpg", "astronaut")
    make_photo(other / "y.jpg", "coffee")
    make_photo(other / "sub" / "z.jpg", "rocket")
    os.symlink(other, root / "b_link")
    os.symlink(other / "sub", root / "sub_link")
    library.index_folders([root, other])
    assert _names(library, tmp_path) == ["B/sub/z.jpg", "B/y.jpg", "R/r.jpg"]
    # Nor through the watcher's changes (a link made, or a folder holding one moved in).
    for changed in (root / "b_link", root / "b_link" / "sub", root / "sub_link", root):
        report = library.index_paths([changed])
        assert (report.added, report.errors) == (0, []), changed
    assert len(library.photos()) == 3
    assert [r.unchanged for r in library.index_folders([other, root])] == [2, 1]


def test_a_folder_inside_the_library_folder_indexed_alone_follows_no_link_into_it(library,
                                                                                  tmp_path):
    """The watcher's change to R/sub, holding R/sub/l -> R/z_real: walked on its own, the link
    was followed (z_real is not inside R/sub), giving z_real's photos a second name."""
    root = tmp_path / "R"
    make_photo(root / "z_real" / "x.jpg", "astronaut")
    (root / "sub").mkdir()
    library.index_folder(root)
    os.symlink(root / "z_real", root / "sub" / "l")
    report = library.index_paths([root / "sub"])
    assert (report.added, report.errors) == (0, [])
    assert _names(library, root) == ["z_real/x.jpg"]


def test_records_named_the_old_way_move_to_the_new_names_with_their_codes(library, tmp_path):
    """An upgrade: records under R/a_link/... (the old walk's names for R/z_real's photos) and
    R/b_link/... (B's photos a second time). One index later the photos are under R/z_real/...,
    the same records and codes, and B's once; nothing decoded or encoded again."""
    root, other = tmp_path / "R", tmp_path / "B"
    make_photo(root / "r.jpg", "astronaut")
    make_photo(root / "a_link" / "x.jpg", "coffee")
    make_photo(root / "a_link" / "day2" / "y.jpg", "rocket")
    (root / "a_link" / "broken.jpg").write_bytes(b"not a JPEG")
    make_photo(other / "b.jpg", "chelsea")
    make_photo(root / "b_link" / "b.jpg", "chelsea")
    library.index_folders([root, other])
    before = _codes(library, tmp_path)
    assert _names(library, tmp_path) == [
        "B/b.jpg", "R/a_link/broken.jpg", "R/a_link/day2/y.jpg", "R/a_link/x.jpg",
        "R/b_link/b.jpg", "R/r.jpg"]
    # The disk as it was all along: the links, and the folders they lead to.
    os.rename(root / "a_link", root / "z_real")
    os.symlink(root / "z_real", root / "a_link")
    shutil.rmtree(root / "b_link")
    os.symlink(other, root / "b_link")

    reports = library.index_folders([root, other])
    assert _names(library, tmp_path) == [
        "B/b.jpg", "R/r.jpg", "R/z_real/broken.jpg", "R/z_real/day2/y.jpg", "R/z_real/x.jpg"]
    assert (reports[0].moved, reports[0].added, reports[0].updated) == (2, 0, 0)
    after = _codes(library, tmp_path)
    for old, new in (("R/r.jpg", "R/r.jpg"), ("R/a_link/x.jpg", "R/z_real/x.jpg"),
                     ("R/a_link/day2/y.jpg", "R/z_real/day2/y.jpg"), ("B/b.jpg", "B/b.jpg")):
        assert after[new] == before[old], old
    assert after["R/z_real/broken.jpg"][1] is None
    assert [r.unchanged for r in library.index_folders([root, other])] == [4, 1]
    assert len(library.photos()) == 5
