"""Folder links in a library folder that lead to folders the walk reaches by other names: the
walk gives each photo the name the watcher reports it by (watch/folder_links.py), so neither
the next start nor the watcher renames what the other named. A link into the library folder
itself (R/a_link -> R/z_real) named z_real's photos R/a_link/... because the link sorts first,
while the watcher reported them under R/z_real/... (a churn of moves at every start); a link
into a folder that a link found before leads to was followed when the walk happened to list it
first. A link into a part the walk skips (a hidden folder) is the only way in, and followed.
The real walk on real files."""

from __future__ import annotations

import os

import pytest

from desktop_app.core.scan import not_walked, scan_folder

pytestmark = pytest.mark.skipif(os.name == "nt", reason="folder links need rights on Windows")


def _touch(path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not decoded by the walk")


def _names(root, **options) -> list[str]:
    return [os.path.relpath(f.path, root) for f in scan_folder(root, **options).files]


def test_a_link_into_the_walked_folder_leaves_its_folder_its_own_name(tmp_path):
    root = tmp_path / "R"
    _touch(root / "z_real" / "x.jpg")
    _touch(root / "z_real" / "day2" / "y.jpg")
    os.symlink(root / "z_real", root / "a_link")  # sorts first
    os.symlink(root / "z_real" / "day2", root / "m_link")
    assert _names(root) == ["z_real/day2/y.jpg", "z_real/x.jpg"]
    # The link's own folder walked on its own (the watcher's change to it) follows no more.
    assert not_walked(str(root / "a_link"), str(root))
    assert not_walked(str(root / "a_link" / "day2"), str(root))
    assert not not_walked(str(root / "z_real"), str(root))


def test_a_link_into_a_part_the_walk_skips_is_the_way_in(tmp_path):
    root = tmp_path / "R"
    _touch(root / "r.jpg")
    _touch(root / ".thumbnails" / "large" / "t.jpg")
    _touch(root / "Photos.photoslibrary" / "resources" / "derivatives" / "d.jpg")
    os.symlink(root / ".thumbnails", root / "thumbs")
    os.symlink(root / "Photos.photoslibrary" / "resources" / "derivatives", root / "previews")
    assert _names(root) == ["previews/d.jpg", "r.jpg", "thumbs/large/t.jpg"]
    assert not not_walked(str(root / "thumbs" / "large"), str(root))


@pytest.mark.parametrize("first, second, named", [
    # R/a/x -> trip is listed (R/a before R/b) before R/b/y -> trip/sub: followed, it names sub.
    (("a", "x", ""), ("b", "y", "sub"), "a/x/sub/s.jpg"),
    # R/c -> trip is listed with R's own entries, before R/b's: it names sub.
    (("", "c", ""), ("b", "a", "sub"), "c/sub/s.jpg"),
])
def test_a_link_into_a_folder_a_link_followed_leads_to_is_not_followed(tmp_path, first, second,
                                                                       named):
    """Links are followed in the order the watcher finds them (folders in name order, each
    folder's links as it is listed), the first to reach a folder names it: the walk went
    through the folders last name first, and so gave sub's photos the other link's name."""
    root, trip = tmp_path / "R", tmp_path / "data" / "trip"
    _touch(trip / "t.jpg")
    _touch(trip / "sub" / "s.jpg")
    for holder, name, target in (first, second):
        (root / holder).mkdir(parents=True, exist_ok=True)
        os.symlink(trip / target, root / holder / name)
    outer = os.path.join(first[0], first[1])
    assert _names(root) == sorted([named, f"{outer}/t.jpg"])


def test_a_link_into_a_folder_walked_on_its_own_is_not_followed(tmp_path):
    """R/b_link -> B, R/sub_link -> B/sub: B is a library folder of its own, whose walk names
    its photos. R/disk -> the folder holding B leads to more than B and is followed whole, as
    the watcher follows it (B's photos then have two names, as before)."""
    root, disk = tmp_path / "R", tmp_path / "disk"
    other = disk / "B"
    _touch(root / "r.jpg")
    _touch(other / "y.jpg")
    _touch(other / "sub" / "z.jpg")
    _touch(other / ".hidden" / "h.jpg")
    os.symlink(other, root / "b_link")
    os.symlink(other / "sub", root / "sub_link")
    os.symlink(other / ".hidden", root / "hidden_link")  # B's walk skips it: the way in
    assert _names(root, walked_elsewhere=[str(other)]) == ["hidden_link/h.jpg", "r.jpg"]
    assert not_walked(str(root / "b_link" / "sub"), str(root), [str(other)])
    assert not not_walked(str(root / "b_link"), str(root))  # B not walked on its own

    _touch(disk / "d.jpg")
    os.symlink(disk, root / "disk")
    assert _names(root, walked_elsewhere=[str(other)]) == [
        "disk/B/sub/z.jpg", "disk/B/y.jpg", "disk/d.jpg", "hidden_link/h.jpg", "r.jpg"]
