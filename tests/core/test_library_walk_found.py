"""The walk tells how many photos it has found so far: a walk of a home folder or a NAS share
takes minutes, and all the user saw was "Looking for photos…" with no number. Real folders of
real photos, real SQLite file, tiny real model."""

from __future__ import annotations

from desktop_app.core.scan import STOP_CHECK_ENTRIES, scan_folder


def copies(photo, folder, count: int) -> None:
    data = photo.read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"p{i:03d}.jpg").write_bytes(data)


def test_a_walk_tells_its_count_from_zero_to_all_it_found(tmp_path, photo_factory):
    first = photo_factory("home/a/one.jpg", "chelsea", size=(64, 48))
    copies(first, tmp_path / "home" / "big", 3 * STOP_CHECK_ENTRIES)  # told inside it too
    photo_factory("home/c/two.png", "coffee", size=(64, 48))
    (tmp_path / "home" / "c" / "notes.txt").write_text("not a photo")
    told: list[int] = []
    scan = scan_folder(tmp_path / "home", looking=told.append)
    assert len(scan.files) == 3 * STOP_CHECK_ENTRIES + 2
    assert told[0] == 0 and told[-1] == len(scan.files)
    assert told == sorted(told)  # growing (told again where it did not change)
    assert any(STOP_CHECK_ENTRIES < n < len(scan.files) for n in told)  # inside "big"


def test_a_stopped_walk_tells_no_whole_count(tmp_path, photo_factory):
    first = photo_factory("big/a.jpg", "chelsea", size=(64, 48))
    copies(first, tmp_path / "big", 3 * STOP_CHECK_ENTRIES)
    asked: list[int] = []
    told: list[int] = []
    scan = scan_folder(tmp_path / "big", should_stop=lambda: asked.append(1) or len(asked) >= 2,
                       looking=told.append)
    assert scan.stopped
    assert told[0] == 0 and max(told) < 3 * STOP_CHECK_ENTRIES + 1


def test_indexing_tells_each_walks_count(library, album, tmp_path, photo_factory):
    other = tmp_path / "other"
    photo_factory("other/x.jpg", "rocket")
    told: list[int] = []
    reports = library.index_folders([album, other], looking=told.append)
    assert [r.added for r in reports] == [5, 1]
    assert told[0] == 0 and told[-1] == 1
    walks = told.index(0, told.index(5))  # the second walk starts again from 0
    assert set(told[:walks]) <= set(range(6)) and told[walks - 1] == 5
    assert told[walks:] == sorted(told[walks:]) and set(told[walks:]) == {0, 1}
    told.clear()
    library.index_folder(album, looking=told.append)
    assert told[0] == 0 and told[-1] == 5


def test_indexing_a_folder_from_the_watcher_tells_its_walks_count(library, album):
    library.index_folder(album)
    told: list[int] = []
    library.index_paths([album / "sub", album / "chelsea.jpg"], looking=told.append)
    assert told[0] == 0 and set(told) == {0, 2}  # the folder is walked; the single photo not
