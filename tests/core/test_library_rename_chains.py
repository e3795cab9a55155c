"""Renames that chain or close a cycle: a renaming tool shifting numbers (IMG_2 -> IMG_3, then
IMG_1 -> IMG_2), two names swapped (through a temporary name, or exchanged at once), a chain or
a swap across folders. A name may be one move's destination and another move's source, so the
record at a path may belong to the file now elsewhere: each record follows its file, keeping
its id and codes, nothing is encoded again, and the report says moved, not added. Seen by the
watcher (index_paths, changed paths first, then the removed ones, as FolderWatcher.flush sends
them) or at the next start (index_folder(s)). Real files, a real SQLite library and the tiny
real ONNX model."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os

import pytest
from cli_run import run
from photos import make_photo
from work_counts import count_work

from desktop_app import cli
from desktop_app.core import library as library_module

PICTURES = ("chelsea", "rocket", "coffee", "astronaut")


def _numbered(folder, count: int) -> None:
    """IMG_1.jpg ... IMG_<count>.jpg, each another picture."""
    for n in range(1, count + 1):
        make_photo(folder / f"IMG_{n}.jpg", PICTURES[n - 1], size=(96, 64))


def _key(path) -> str:
    """A file's content, for short."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _ids_and_codes(library, folder) -> dict[str, tuple]:
    """Each file's record, by the file's content: its id and its code (as bytes)."""
    index = library.search_index()
    found = {}
    for path in sorted(folder.iterdir()):
        photo = library.photo_by_path(path)
        found[_key(path)] = (photo.id, index.code_of(photo.id).tobytes())
    return found


def _shift_up(folder) -> None:
    """As a renaming tool numbering from 2: the last name first, so no file is overwritten."""
    os.rename(folder / "IMG_2.jpg", folder / "IMG_3.jpg")
    os.rename(folder / "IMG_1.jpg", folder / "IMG_2.jpg")


def _watched(library, changed, removed=()):
    """What the app does with one flush of the watcher: changed paths first, then removed."""
    report = library.index_paths(changed)
    library.remove_paths(removed)
    return report


def _assert_followed(library, folder, before, report, moved: int, calls) -> None:
    assert _ids_and_codes(library, folder) == before
    assert (report.moved, report.added, report.updated, report.removed) == (moved, 0, 0, 0)
    assert calls["encode"] == 0
    assert len(library.photos()) == len(before)


@pytest.mark.parametrize("how", ["watched", "watched, one list", "at the next start"])
def test_numbers_shifted_up_each_record_follows_its_file(library, tmp_path, monkeypatch, how):
    folder = tmp_path / "album"
    _numbered(folder, 2)
    library.index_folder(folder)
    before = _ids_and_codes(library, folder)
    _shift_up(folder)
    calls = count_work(monkeypatch, library)
    paths = [folder / name for name in ("IMG_1.jpg", "IMG_2.jpg", "IMG_3.jpg")]
    if how == "watched":  # IMG_1 last removed, IMG_2 last changed (a move's destination)
        report = _watched(library, paths[1:], paths[:1])
    elif how == "watched, one list":
        report = library.index_paths(paths)
    else:
        report = library.index_folder(folder)
    _assert_followed(library, folder, before, report, 2, calls)
    assert library.index_folder(folder).unchanged == 2


def test_numbers_shifted_down_each_record_follows_its_file(library, tmp_path, monkeypatch):
    # Each name read before the file whose record it takes (IMG_1 holds IMG_2's picture).
    folder = tmp_path / "album"
    _numbered(folder, 4)
    library.index_folder(folder)
    before = _ids_and_codes(library, folder)
    del before[_key(folder / "IMG_1.jpg")]  # overwritten by the first rename
    for n in range(1, 4):
        os.replace(folder / f"IMG_{n + 1}.jpg", folder / f"IMG_{n}.jpg")
    calls = count_work(monkeypatch, library)
    report = library.index_folder(folder)
    _assert_followed(library, folder, before, report, 3, calls)


def _exchange(a, b) -> None:
    """Swap two names in one step: renameat2(RENAME_EXCHANGE), as some tools do."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    at_fdcwd, rename_exchange = -100, 2
    if not hasattr(libc, "renameat2") or libc.renameat2(
            at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        pytest.skip("no renameat2(RENAME_EXCHANGE) on this system or file system")


@pytest.mark.parametrize("how", ["watched", "at the next start"])
@pytest.mark.parametrize("swap", ["through a temporary name", "exchanged"])
def test_two_swapped_names_each_record_follows_its_file(library, tmp_path, monkeypatch, how,
                                                       swap):
    folder = tmp_path / "album"
    a = make_photo(folder / "a.jpg", "chelsea")
    b = make_photo(folder / "b.jpg", "rocket")
    make_photo(folder / "c.jpg", "coffee")
    library.index_folder(folder)
    before = _ids_and_codes(library, folder)
    if swap == "exchanged":
        _exchange(a, b)
    else:
        os.rename(a, folder / "swap.jpg")
        os.rename(b, a)
        os.rename(folder / "swap.jpg", b)
    calls = count_work(monkeypatch, library)
    report = (_watched(library, [a, b]) if how == "watched"
              else library.index_folder(folder))
    _assert_followed(library, folder, before, report, 2, calls)
    assert library.index_folder(folder).unchanged == 3


def test_a_new_photo_saved_where_one_was_renamed_away_gets_a_new_record(library, tmp_path,
                                                                        monkeypatch):
    # IMG_2 renamed to IMG_3, a new photo saved as IMG_2: the old record goes with its file.
    folder = tmp_path / "album"
    _numbered(folder, 2)
    library.index_folder(folder)
    before = _ids_and_codes(library, folder)
    os.rename(folder / "IMG_2.jpg", folder / "IMG_3.jpg")
    new = make_photo(folder / "IMG_2.jpg", "astronaut", size=(96, 64))
    calls = count_work(monkeypatch, library)
    report = _watched(library, [new, folder / "IMG_3.jpg"])
    assert (report.moved, report.added, report.updated) == (1, 1, 0)
    assert calls["encode"] == 1
    after = _ids_and_codes(library, folder)
    assert {content: after[content] for content in before} == before
    assert after[_key(new)][0] not in {photo_id for photo_id, _ in before.values()}
    assert after[_key(new)][1] == library.encode_file(new).tobytes()


def test_numbers_shifted_in_a_big_run_each_record_follows_its_file(library, tmp_path,
                                                                  monkeypatch):
    # As in a folder of hundreds of changed photos: every fingerprint looked up at once, this
    # run's writes committed as it goes (every row here), and of the photos edited in place at
    # most one held to the end of the run (the others written as they come).
    monkeypatch.setattr(library_module, "LOOK_UP_CONTENT_UP_TO", 0)
    monkeypatch.setattr(library_module, "COMMIT_ROWS", 1)
    folder = tmp_path / "album"
    _numbered(folder, 3)
    edited = [make_photo(folder / f"{n}.jpg", "retina", size=(96, 64)) for n in "xyz"]
    library.index_folder(folder)
    before = _ids_and_codes(library, folder)
    shifted = [_key(folder / f"IMG_{n}.jpg") for n in range(1, 4)]
    ids = {path: library.photo_by_path(path).id for path in edited}
    for n, path in enumerate(edited):
        make_photo(path, PICTURES[n], size=(80 + n, 60))
    for n in range(3, 0, -1):
        os.rename(folder / f"IMG_{n}.jpg", folder / f"IMG_{n + 1}.jpg")
    calls = count_work(monkeypatch, library)
    report = library.index_folder(folder)
    assert calls["encode"] == 3  # the edited ones
    after = _ids_and_codes(library, folder)
    assert [after[key] for key in shifted] == [before[key] for key in shifted]
    assert {path: library.photo_by_path(path).id for path in edited} == ids
    for path in edited:
        assert after[_key(path)][1] == library.encode_file(path).tobytes()
    assert (report.moved, report.updated, report.added, report.removed) == (3, 3, 0, 0)


def test_a_stopped_run_leaves_the_waiting_files_to_the_next(library, tmp_path, monkeypatch):
    # Stopped after IMG_1 was read: the record it takes (IMG_2's) is not known to be free yet.
    folder = tmp_path / "album"
    _numbered(folder, 3)
    library.index_folder(folder)
    before = _ids_and_codes(library, folder)
    del before[_key(folder / "IMG_1.jpg")]
    for n in range(1, 3):
        os.replace(folder / f"IMG_{n + 1}.jpg", folder / f"IMG_{n}.jpg")
    calls = count_work(monkeypatch, library)
    done = []
    first = library.index_folder(folder, progress=lambda d, _t: done.append(d),
                                 should_stop=lambda: bool(done) and done[-1] >= 1)
    assert first.stopped and (first.moved, first.added, first.updated) == (0, 0, 0)
    second = library.index_folder(folder)
    assert _ids_and_codes(library, folder) == before
    assert (second.moved, second.added, second.updated) == (2, 0, 0)
    assert calls["encode"] == 0


@pytest.mark.parametrize("how", ["watched", "at the next start"])
def test_a_photo_renamed_over_another_takes_its_name_as_before(library, tmp_path, how):
    # Not a chain: the photo renamed over is gone (its record dropped, uncounted, as before).
    folder = tmp_path / "album"
    _numbered(folder, 3)
    library.index_folder(folder)
    moved = library.photo_by_path(folder / "IMG_1.jpg")
    os.replace(folder / "IMG_1.jpg", folder / "IMG_2.jpg")
    report = (_watched(library, [folder / "IMG_2.jpg"], [folder / "IMG_1.jpg"])
              if how == "watched" else library.index_folder(folder))
    assert (report.moved, report.added, report.updated, report.removed) == (1, 0, 0, 0)
    assert library.photo_by_path(folder / "IMG_2.jpg").id == moved.id
    assert len(library.photos()) == 2


@pytest.mark.parametrize("looked_up", ["one by one", "all at once"])
def test_copies_only_touched_stay_unchanged(library, tmp_path, monkeypatch, looked_up):
    # Each copy's content is another record's too, whose file is still to be read: nothing
    # waits for it, the record already holds that content.
    if looked_up == "all at once":  # as in a folder of hundreds of changed photos
        monkeypatch.setattr(library_module, "LOOK_UP_CONTENT_UP_TO", 0)
    folder = tmp_path / "album"
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        make_photo(folder / name, "chelsea", size=(96, 64))
    library.index_folder(folder)
    before = _ids_and_codes(library, folder)
    for path in folder.iterdir():
        os.chmod(path, 0o600)  # a new change time: each is read again
    report = library.index_folder(folder)
    assert (report.unchanged, report.updated, report.added, report.moved) == (3, 0, 0, 0)
    assert _ids_and_codes(library, folder) == before


def test_a_photo_edited_in_place_keeps_its_record(library, tmp_path):
    folder = tmp_path / "album"
    _numbered(folder, 2)
    library.index_folder(folder)
    photo = library.photo_by_path(folder / "IMG_2.jpg")
    make_photo(folder / "IMG_2.jpg", "astronaut", size=(96, 64))
    report = library.index_folder(folder)
    assert (report.updated, report.added, report.moved) == (1, 0, 0)
    assert library.photo_by_path(folder / "IMG_2.jpg").id == photo.id


@pytest.mark.parametrize("order", ["source folder first", "destination folder first"])
def test_a_chain_across_folders_each_record_follows_its_file(library, tmp_path, monkeypatch,
                                                             order):
    # album/IMG_2 moved to other/IMG_2, then album/IMG_1 renamed to album/IMG_2.
    album, other = tmp_path / "album", tmp_path / "other"
    _numbered(album, 2)
    make_photo(other / "x.jpg", "retina", size=(96, 64))
    folders = [album, other] if order == "source folder first" else [other, album]
    library.index_folders(folders)
    before = {**_ids_and_codes(library, album), **_ids_and_codes(library, other)}
    os.rename(album / "IMG_2.jpg", other / "IMG_2.jpg")
    os.rename(album / "IMG_1.jpg", album / "IMG_2.jpg")
    calls = count_work(monkeypatch, library)
    reports = library.index_folders(folders)
    assert {**_ids_and_codes(library, album), **_ids_and_codes(library, other)} == before
    assert sum(r.moved for r in reports) == 2
    assert sum(r.added + r.updated + r.removed for r in reports) == 0
    assert calls["encode"] == 0


@pytest.mark.parametrize("how", ["one run, A first", "one run, B first", "watched, one by one"])
def test_two_names_swapped_across_folders_each_record_follows_its_file(library, tmp_path,
                                                                       monkeypatch, how):
    a, b = tmp_path / "a", tmp_path / "b"
    x = make_photo(a / "x.jpg", "chelsea", size=(96, 64))
    y = make_photo(b / "y.jpg", "rocket", size=(96, 64))
    library.index_folders([a, b])
    before = {**_ids_and_codes(library, a), **_ids_and_codes(library, b)}
    os.rename(x, tmp_path / "swap.jpg")
    os.rename(y, x)
    os.rename(tmp_path / "swap.jpg", y)
    calls = count_work(monkeypatch, library)
    if how == "watched, one by one":  # each folder's events in a flush of its own
        reports = [library.index_paths([x]), library.index_paths([y])]
    else:
        reports = library.index_folders([a, b] if how == "one run, A first" else [b, a])
    assert {**_ids_and_codes(library, a), **_ids_and_codes(library, b)} == before
    assert sum(r.moved for r in reports) == 2
    assert sum(r.added + r.updated + r.removed for r in reports) == 0
    assert calls["encode"] == 0


@pytest.mark.parametrize("how", ["watched", "at the next start"])
def test_a_photo_moved_over_another_from_a_drive_unplugged_since_leaves_nothing_there(
        library, tmp_path, how):
    # b/y moved over a/x, then b's drive unplugged before the library looks: x's picture is
    # gone. Its record must not wait for a sweep under y's name on the missing drive (no sweep
    # ever came: a photo there with x's picture in searches, said removed once b was back).
    a, b = tmp_path / "a", tmp_path / "b"
    x = make_photo(a / "x.jpg", "chelsea", size=(96, 64))
    y = make_photo(b / "y.jpg", "rocket", size=(96, 64))
    z = make_photo(b / "z.jpg", "coffee", size=(96, 64))
    library.index_folders([a, b])
    moved = library.photo_by_path(y).id
    os.replace(y, x)
    b.rename(tmp_path / "b-unplugged")
    report = (_watched(library, [x]) if how == "watched"
              else library.index_folders([a, b])[0])
    assert (report.moved, report.added, report.updated, report.removed) == (1, 0, 0, 0)
    assert sorted(photo.path for photo in library.photos()) == [str(x), str(z)]
    assert library.photo_by_path(x).id == moved
    assert library.search_index().code_of(moved).tobytes() == library.encode_file(x).tobytes()
    (tmp_path / "b-unplugged").rename(b)
    assert sum(r.removed + r.added for r in library.index_folders([a, b])) == 0


def test_a_later_watcher_flush_finds_the_record_its_file_left(library, tmp_path, monkeypatch):
    # Both renames done before the first flush is indexed, the second one's events in the next
    # flush: IMG_3 is indexed while IMG_2's record still names IMG_2, which holds IMG_1's now.
    folder = tmp_path / "album"
    _numbered(folder, 2)
    library.index_folder(folder)
    before = _ids_and_codes(library, folder)
    _shift_up(folder)
    calls = count_work(monkeypatch, library)
    first = _watched(library, [folder / "IMG_3.jpg"], [folder / "IMG_2.jpg"])
    second = _watched(library, [folder / "IMG_2.jpg"], [folder / "IMG_1.jpg"])
    assert _ids_and_codes(library, folder) == before
    assert (first.moved, second.moved, first.added + second.added) == (1, 1, 0)
    assert calls["encode"] == 0


def test_the_command_line_says_moved_for_renumbered_photos(capsys, tmp_path, tiny_model_dir):
    folder = tmp_path / "album"
    _numbered(folder, 2)
    code, _, err = run(capsys, "--model", tiny_model_dir, "index", folder)
    assert code == cli.EXIT_OK, err
    _shift_up(folder)
    code, out, err = run(capsys, "--model", tiny_model_dir, "index", folder)
    assert code == cli.EXIT_OK, err
    assert "2 moved" in out and "0 added" in out and "0 updated" in out, out
