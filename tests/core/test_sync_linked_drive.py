"""A link in a library folder to a drive's mount point (~/Pictures/NAS -> /mnt/nas, an fstab or
autofs mount that leaves its empty folder behind when the drive is not mounted): the empty folder
the link leads to then is no sign of photos deleted. Its photos are kept and the user is told,
as for a drive mounted right inside the folder; mounted again, deleted photos leave; the link
deleted, its photos leave. A real tmpfs mount (needs root), real files and SQLite library."""

from __future__ import annotations

import os

from drive_mounts import mount_tmpfs, unmount


def _names(library) -> list[str]:
    return sorted(os.path.relpath(p.path) for p in library.photos())


def test_a_linked_drive_not_mounted_keeps_its_photos(library, tmp_path, photo_factory,
                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    album = tmp_path / "album"
    photo_factory("album/home.jpg", "astronaut")
    nas = tmp_path / "mnt" / "nas"
    mount_tmpfs(nas)
    try:
        photo_factory("mnt/nas/coffee.jpg", "coffee")
        photo_factory("mnt/nas/trip/rocket.jpg", "rocket")
        photo_factory("mnt/nas/chelsea.jpg", "chelsea")
        os.symlink(nas, album / "NAS")
        assert library.index_folder(album).added == 4
    finally:
        unmount(nas)
    assert os.listdir(album / "NAS") == []  # the empty mount point, through the link

    report = library.index_folder(album)
    assert report.removed == 0
    assert [e[0] for e in report.errors] == [str(album / "NAS")]
    assert "no drive is mounted on the folder this link leads to now" in report.errors[0][1]
    assert "delete this link to remove its photos" in report.errors[0][1]
    assert _names(library) == ["album/NAS/chelsea.jpg", "album/NAS/coffee.jpg",
                               "album/NAS/trip/rocket.jpg", "album/home.jpg"]
    report = library.index_paths([album / "NAS"])  # the link itself, as a watcher's change
    assert report.removed == 0 and len(library.photos()) == 4
    assert [e[0] for e in report.errors] == [str(album / "NAS")]
    assert "delete this link to remove its photos" in report.errors[0][1]

    mount_tmpfs(nas)  # mounted again, one photo deleted meanwhile: that one leaves
    try:
        photo_factory("mnt/nas/coffee.jpg", "coffee")
        photo_factory("mnt/nas/trip/rocket.jpg", "rocket")
        report = library.index_folder(album)
        assert (report.removed, report.errors) == (1, [])
        assert _names(library) == ["album/NAS/coffee.jpg", "album/NAS/trip/rocket.jpg",
                                   "album/home.jpg"]
    finally:
        unmount(nas)

    os.remove(album / "NAS")  # the drive gone for good, as the message says
    report = library.index_folder(album)
    assert (report.removed, report.errors) == (2, [])
    assert _names(library) == ["album/home.jpg"]
