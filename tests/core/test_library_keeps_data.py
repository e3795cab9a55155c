"""Nothing is lost when folders, files or models misbehave: moves between library folders,
unplugged folders, drives unmounted from their folders, one-off models that cannot read the
photos, file names that are not UTF-8."""

from __future__ import annotations

import os
import shutil

import pytest
from drive_mounts import mount_tmpfs, unmount

from desktop_app import paths
from desktop_app.core import library as library_module
from desktop_app.core import pipeline
from desktop_app.core.encoder import load_encoder
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.model_registry import active_model_dir


def _ids(library):
    return {os.path.basename(p.path): p.id for p in library.photos()}


def test_bad_file_with_a_non_utf8_name_is_recorded_and_the_rest_indexed(library, album):
    bad = os.path.join(os.fsdecode(album), os.fsdecode(b"bad\xff.jpg"))
    with open(bad, "wb") as f:
        f.write(os.urandom(200))
    report = library.index_folder(album)
    assert (report.added, report.failed) == (5, 1)
    (failed,) = library.failed()
    assert failed.path == bad
    assert "\\xff" in failed.error and "not an image" in failed.error
    assert library.counts()["indexed"] == 5
    assert library.index_folder(album).unchanged == 6  # nothing redone, nothing lost


def test_a_deleted_photo_or_folder_with_a_non_utf8_name_is_removed(library, album,
                                                                   photo_factory):
    # What the folder watcher asks when such a photo, or its whole folder, is deleted.
    latin1 = os.fsdecode(b"caf\xe9")
    photo = os.path.join(os.fsdecode(album), latin1 + ".jpg")
    shutil.copy(album / "chelsea.jpg", photo)
    inner = os.path.join(os.fsdecode(album), latin1)
    os.mkdir(inner)
    shutil.copy(album / "sub" / "coffee.jpg", os.path.join(inner, "coffee.jpg"))
    library.index_folder(album)
    assert library.counts()["indexed"] == 7
    os.remove(photo)
    assert library.remove_paths([photo]) == 1
    shutil.rmtree(inner)
    assert library.remove_paths([inner]) == 1
    assert sorted(_ids(library)) == ["astronaut.png", "chelsea-copy.jpg", "chelsea.jpg",
                                     "coffee.jpg", "rocket.webp"]


def test_photo_moved_between_two_folders_keeps_its_record(library, tmp_path, photo_factory):
    photo_factory("a/one.jpg", "chelsea")
    photo_factory("a/two.jpg", "coffee")
    photo_factory("b/three.jpg", "rocket")
    library.index_folders([tmp_path / "a", tmp_path / "b"])
    before = _ids(library)
    shutil.move(tmp_path / "a" / "one.jpg", tmp_path / "b" / "one.jpg")
    os.remove(tmp_path / "a" / "two.jpg")
    reports = library.index_folders([tmp_path / "a", tmp_path / "b"])
    assert [(r.moved, r.removed, r.added) for r in reports] == [(0, 1, 0), (1, 0, 0)]
    after = _ids(library)
    assert after == {"one.jpg": before["one.jpg"], "three.jpg": before["three.jpg"]}
    assert library.photo(before["one.jpg"]).path == str(tmp_path / "b" / "one.jpg")


def test_retry_failed_stays_in_its_folder_and_spares_unplugged_ones(library, tmp_path,
                                                                    photo_factory):
    photo_factory("a/one.jpg", "chelsea")
    (tmp_path / "a" / "empty.jpg").write_bytes(b"")
    photo_factory("c/two.jpg", "coffee")
    (tmp_path / "c" / "zero.jpg").write_bytes(b"")
    library.index_folders([tmp_path / "a", tmp_path / "c"])
    assert len(library.failed()) == 2
    report = library.retry_failed(under=tmp_path / "a")
    assert report.failed == 1 and "a" + os.sep + "empty.jpg" in report.errors[0][0]
    (tmp_path / "c").rename(tmp_path / "c-unplugged")
    report = library.retry_failed()
    assert report.removed == 0
    assert sorted(os.path.basename(p.path) for p in library.failed()) == ["empty.jpg", "zero.jpg"]


def test_folder_unplugged_mid_index_keeps_records_of_photos_not_read_yet(
        library, album, photo_factory, monkeypatch):
    library.index_folder(album)
    before = _ids(library)
    photo_factory("album/chelsea.jpg", "astronaut")  # edited: must be read again
    os.utime(album / "chelsea.jpg", (1, 1))
    real_prepare = library_module.prepare

    def unplug_then_prepare(entry, spec, known=()):
        if album.exists():
            album.rename(album.with_name("album-unplugged"))
        return real_prepare(entry, spec, known)

    monkeypatch.setattr(library_module, "prepare", unplug_then_prepare)
    report = library.index_folder(album)
    assert report.removed == 0
    assert any("disappeared while it was being indexed" in m for _, m in report.errors)
    assert _ids(library) == before
    monkeypatch.undo()
    album.with_name("album-unplugged").rename(album)
    report = library.index_folder(album)
    assert (report.updated, report.removed) == (1, 0)
    assert _ids(library) == before


def test_one_off_model_that_cannot_read_the_photos_loses_nothing(library, album, store,
                                                                 tmp_path, monkeypatch):
    from tiny_model import make_tiny_model

    library.index_folder(album)
    other = load_encoder(make_tiny_model(tmp_path / "m2", bits=16, seed=3, name="m2"))

    def broken_preprocess(image, spec):
        raise ValueError("this model's preprocessing is broken")

    monkeypatch.setattr(pipeline, "preprocess", broken_preprocess)
    one_off = PhotoLibrary(store, other, activate_if_none=False, decode_threads=1)
    report = one_off.index_folder(album)
    assert report.failed == 5 and "broken" in report.errors[0][1]
    monkeypatch.undo()
    assert library.failed() == []
    assert library.counts()["indexed"] == 5
    report = library.index_folder(album)
    assert (report.unchanged, report.failed) == (5, 0)
    assert len(library.search_index()) == 5


def test_one_off_model_copy_does_not_move_the_active_model(store, tiny_model_dir, tmp_path,
                                                           album):
    active = tmp_path / "active-model"
    shutil.copytree(tiny_model_dir, active)
    PhotoLibrary(store, load_encoder(active)).index_folder(album)
    copy = tmp_path / "one-off-copy"
    shutil.copytree(tiny_model_dir, copy)
    PhotoLibrary(store, load_encoder(copy), activate_if_none=False)
    assert active_model_dir(store) == active
    # The recorded folder is gone, but the same model was imported: the library finds it.
    shutil.rmtree(active)
    imported = paths.models_dir() / "tiny-copy"
    shutil.copytree(tiny_model_dir, imported)
    assert active_model_dir(store) == imported


def test_import_copies_the_model_not_the_training_run(tiny_model_dir, tmp_path):
    from desktop_app.core.model_registry import import_model

    out = tmp_path / "trained"
    shutil.copytree(tiny_model_dir, out)
    (out / "evaluation.json").write_text("{}")
    (out / "training").mkdir()
    (out / "training" / "checkpoint.pt").write_bytes(b"\0" * 100_000)
    copy = import_model(out)
    assert sorted(p.name for p in copy.iterdir()) == sorted(  # and the import's record
        [*(p.name for p in out.iterdir() if p.is_file()), "imported-from.json"])
    assert load_encoder(copy).model_id == load_encoder(out).model_id
    assert not list(paths.models_dir().glob("*.importing"))


def _unreadable(monkeypatch, victim):
    from desktop_app.core import images
    from desktop_app.core.errors import PhotoReadError

    real = images.read_bytes

    def read_bytes(path):
        if os.fspath(path) == os.fspath(victim):
            raise PhotoReadError(path, "permission denied") from PermissionError(13, "denied")
        return real(path)

    monkeypatch.setattr(images, "read_bytes", read_bytes)


def test_a_photo_locked_during_a_model_switch_keeps_its_codes(library, album, store, tmp_path,
                                                              monkeypatch):
    from tiny_model import make_tiny_model

    library.index_folder(album)
    victim = album / "chelsea.jpg"
    photo_id = library.photo_by_path(victim).id
    _unreadable(monkeypatch, victim)
    other = load_encoder(make_tiny_model(tmp_path / "m2", bits=16, seed=3, name="m2"))
    report = library.activate_model(other)
    assert report.failed == 1 and "permission denied" in report.errors[0][1]
    assert store.query("SELECT COUNT(*) FROM codes WHERE photo_id = ?", (photo_id,))[0][0] == 1
    monkeypatch.undo()
    assert library.index_folder(album).updated == 1  # read with the new model now
    assert store.query("SELECT COUNT(*) FROM codes WHERE photo_id = ?", (photo_id,))[0][0] == 2


def test_a_photo_locked_while_a_one_off_model_reads_it_keeps_its_codes(library, album, store,
                                                                       tmp_path, monkeypatch):
    from tiny_model import make_tiny_model

    library.index_folder(album)
    victim = album / "chelsea.jpg"
    _unreadable(monkeypatch, victim)
    other = load_encoder(make_tiny_model(tmp_path / "m2", bits=16, seed=3, name="m2"))
    report = PhotoLibrary(store, other, activate_if_none=False).index_folder(album)
    assert report.failed == 1
    assert library.failed() == [] and library.counts()["indexed"] == 5


def test_a_model_switch_while_the_folder_is_unplugged_removes_nothing(library, album, tmp_path):
    from tiny_model import make_tiny_model

    library.index_folder(album)
    album.rename(album.with_name("album-unplugged"))
    other = load_encoder(make_tiny_model(tmp_path / "m2", bits=16, seed=3, name="m2"))
    report = library.activate_model(other)
    assert report.removed == 0 and len(library.photos()) == 5


def test_a_photo_that_could_not_be_opened_is_read_on_the_next_index(library, album,
                                                                    monkeypatch):
    """Giving read access back (chmod) changes neither size nor mtime: the next index must still
    read the photo, as its message promises ("Give your user read access ..., then rescan")."""
    victim = album / "chelsea.jpg"
    _unreadable(monkeypatch, victim)
    report = library.index_folder(album)
    assert report.failed == 1 and "permission denied" in report.errors[0][1]
    monkeypatch.undo()  # access given back; the file itself is untouched
    report = library.index_folder(album)
    assert (report.added + report.updated, report.failed) == (1, 0)
    assert library.photo_by_path(victim).status == "ok" and not library.failed()


@pytest.fixture
def drive(tmp_path):
    """A tmpfs mounted on tmp_path/drive (unmounted again at the end)."""
    folder = tmp_path / "drive"
    mount_tmpfs(folder)
    yield folder
    unmount(folder)


def test_a_drive_unmounted_from_its_library_folder_keeps_its_photos(library, drive, tmp_path,
                                                                     photo_factory):
    """The library folder is a drive's mount point (an fstab mount, sshfs, rclone): unmounted,
    it leaves an empty folder, which must read as "drive not there", not as "every photo
    deleted" (the next index, a model switch or a retry removed them all)."""
    for name in ("chelsea", "coffee", "rocket"):
        photo_factory(f"drive/{name}.jpg", name)
    assert library.index_folder(drive).added == 3
    codes = {p.path: library.search_index().code_of(p.id).tobytes() for p in library.photos()}
    shutil.copytree(drive, tmp_path / "backup")
    unmount(drive)
    assert drive.is_dir() and not any(drive.iterdir())
    report = library.index_folder(drive)
    assert report.removed == 0 and len(library.photos()) == 3
    said = (f"{drive}: no drive is mounted on this folder now (one was when it was indexed); "
            "the photos indexed from it are kept. Mount the drive again, then index again; if "
            "the drive is gone for good, remove the folder from the library.")
    assert report.errors == [(str(drive), said)]
    assert library.index_paths([drive]).removed == 0
    assert library.retry_failed().removed == 0
    from tiny_model import make_tiny_model

    other = load_encoder(make_tiny_model(tmp_path / "m2", bits=16, seed=3, name="m2"))
    assert PhotoLibrary(library.store, other, activate_if_none=False).activate_model(
        other).removed == 0
    library.store.set_active_model(library.model_id)
    assert {p.path: library.search_index().code_of(p.id).tobytes()
            for p in library.photos()} == codes
    mount_tmpfs(drive)  # mounted again, with one photo deleted meanwhile
    for name in ("chelsea", "coffee"):
        shutil.copy2(tmp_path / "backup" / f"{name}.jpg", drive)
    report = library.index_folder(drive)
    assert (report.added, report.removed, report.errors) == (0, 1, [])
    assert sorted(os.path.basename(p.path) for p in library.photos()) == ["chelsea.jpg",
                                                                          "coffee.jpg"]


def test_a_drive_unmounted_inside_a_library_folder_keeps_its_photos_until_its_folder_goes(
        library, tmp_path, photo_factory):
    photo_factory("album/home.jpg", "astronaut")
    usb = tmp_path / "album" / "usb"
    mount_tmpfs(usb)
    try:
        photo_factory("album/usb/coffee.jpg", "coffee")
        photo_factory("album/usb/trip/rocket.jpg", "rocket")
        photo_factory("album/plain/chelsea.jpg", "chelsea")
        assert library.index_folder(tmp_path / "album").added == 4
    finally:
        unmount(usb)
    os.remove(tmp_path / "album" / "plain" / "chelsea.jpg")  # a plain folder emptied
    report = library.index_folder(tmp_path / "album")
    assert report.removed == 1  # ...loses its photos; the unmounted drive keeps them
    assert [e[0] for e in report.errors] == [str(usb)]
    assert "no drive is mounted on this folder now" in report.errors[0][1]
    assert "delete this empty folder to remove its photos" in report.errors[0][1]
    assert sorted(os.path.basename(p.path) for p in library.photos()) == [
        "coffee.jpg", "home.jpg", "rocket.jpg"]
    report = library.index_paths([usb])  # as the watcher asks when the drive is unmounted
    assert report.removed == 0 and len(library.photos()) == 3
    assert [e[0] for e in report.errors] == [str(usb)]
    assert "delete this empty folder to remove its photos" in report.errors[0][1]
    usb.rmdir()  # the drive is gone for good, as the message says
    report = library.index_folder(tmp_path / "album")
    assert (report.removed, report.errors) == (2, [])
    usb.mkdir()  # a plain folder by that name again is indexed as any other
    photo_factory("album/usb/new.jpg", "retina")
    assert library.index_folder(tmp_path / "album").added == 1


def test_a_folder_on_another_drive_that_is_no_mount_point_to_ismount_is_swept(
        library, tmp_path, photo_factory, monkeypatch):
    """A folder whose files are on another drive but that os.path.ismount does not call a mount
    point (on Windows a junction to a folder of another drive: os.stat follows it to that drive,
    GetVolumePathName answers the drive's root): it was remembered as a mount point, and every
    check that may delete records asks os.path.ismount, so its deleted photos were never removed
    from the library, at any index."""
    photo_factory("album/home.jpg", "astronaut")
    linked = tmp_path / "album" / "linked"
    mount_tmpfs(linked)  # on Linux the other drive needs a mount (st_dev differs)
    try:
        ismount = os.path.ismount
        monkeypatch.setattr(os.path, "ismount", lambda p: ismount(p) and str(p) != str(linked))
        photo_factory("album/linked/coffee.jpg", "coffee")
        photo_factory("album/linked/rocket.jpg", "rocket")
        assert library.index_folder(tmp_path / "album").added == 3
        os.remove(linked / "coffee.jpg")
        report = library.index_folder(tmp_path / "album")
        assert (report.removed, report.errors) == (1, [])
        os.remove(linked / "rocket.jpg")
        assert library.index_paths([linked / "rocket.jpg"]).removed == 1
        assert [os.path.basename(p.path) for p in library.photos()] == ["home.jpg"]
    finally:
        monkeypatch.undo()  # _unmount asks os.path.ismount
        unmount(linked)
