"""PhotoLibrary against a real SQLite file, the real tiny ONNX model and real photo files."""

from __future__ import annotations

import os
import shutil

import pytest

from desktop_app.core import library as library_module
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store


def paths_of(library):
    return sorted(os.path.basename(p.path) for p in library.photos())


# Known content is looked up per file read for a few files, loaded whole for many: both ways.
BOTH_LOOKUPS = pytest.mark.parametrize("look_up_up_to", [library_module.LOOK_UP_CONTENT_UP_TO, 0],
                                       ids=["one by one", "all at once"])


def test_index_folder_adds_every_photo_once(library, album):
    report = library.index_folder(album)
    assert (report.added, report.failed, report.removed) == (5, 0, 0)
    assert paths_of(library) == ["astronaut.png", "chelsea-copy.jpg", "chelsea.jpg",
                                 "coffee.jpg", "rocket.webp"]
    assert all(p.status == "ok" and p.width and p.height for p in library.photos())
    assert len(library.search_index()) == 5
    assert [f.path for f in library.folders()] == [os.path.realpath(album)]


def test_second_run_skips_unchanged_files(library, album):
    library.index_folder(album)
    report = library.index_folder(album)
    assert (report.added, report.updated, report.unchanged) == (0, 0, 5)


def test_changed_file_is_re_encoded(library, album, photo_factory):
    library.index_folder(album)
    before = library.search_index().code_of(library.photo_by_path(album / "chelsea.jpg").id)
    photo_factory("album/chelsea.jpg", "rocket")
    os.utime(album / "chelsea.jpg", (1, 1))
    report = library.index_folder(album)
    assert (report.updated, report.unchanged) == (1, 4)
    photo = library.photo_by_path(album / "chelsea.jpg")
    assert (library.search_index().code_of(photo.id) != before).any()


@BOTH_LOOKUPS
def test_move_and_rename_keep_the_record_without_encoding(library, album, monkeypatch,
                                                          look_up_up_to):
    monkeypatch.setattr(library_module, "LOOK_UP_CONTENT_UP_TO", look_up_up_to)
    library.index_folder(album)
    old = library.photo_by_path(album / "sub" / "coffee.jpg")
    code = library.search_index().code_of(old.id).copy()
    (album / "elsewhere").mkdir()
    os.rename(album / "sub" / "coffee.jpg", album / "elsewhere" / "renamed.jpg")
    calls = []
    real = library.encoder.encode_pixels
    monkeypatch.setattr(library.encoder, "encode_pixels", lambda px: calls.append(len(px)) or
                        real(px))
    report = library.index_folder(album)
    assert (report.moved, report.added, report.removed) == (1, 0, 0)
    assert calls == []  # nothing was encoded again
    moved = library.photo_by_path(album / "elsewhere" / "renamed.jpg")
    assert moved.id == old.id
    assert (library.search_index().code_of(moved.id) == code).all()
    assert library.photo_by_path(album / "sub" / "coffee.jpg") is None


@BOTH_LOOKUPS
def test_copy_reuses_codes_and_deleted_files_are_swept(library, album, monkeypatch,
                                                       look_up_up_to):
    monkeypatch.setattr(library_module, "LOOK_UP_CONTENT_UP_TO", look_up_up_to)
    library.index_folder(album)
    shutil.copy(album / "astronaut.png", album / "astronaut-2.png")
    os.remove(album / "sub" / "rocket.webp")
    report = library.index_folder(album)
    assert (report.added, report.removed) == (1, 1)
    a = library.photo_by_path(album / "astronaut.png")
    b = library.photo_by_path(album / "astronaut-2.png")
    assert [m.photo_id for m in library.similar(a.id, k=1)] == [b.id]
    assert library.similar(a.id, k=1)[0].distance == 0
    assert "rocket.webp" not in paths_of(library)


@BOTH_LOOKUPS
def test_photos_deleted_then_put_back_are_not_decoded_or_encoded_again(library, album, tmp_path,
                                                                     monkeypatch, store,
                                                                     look_up_up_to):
    """Photos moved to the trash (the watcher's remove_paths), then put back by the trash's
    undo, or a photo moved out of the library and back: their content has not changed, and
    was decoded and encoded all over again (a minute for 1,000 camera photos)."""
    from desktop_app.core import pipeline

    monkeypatch.setattr(library_module, "LOOK_UP_CONTENT_UP_TO", look_up_up_to)
    library.index_folder(album)
    before = {p.path: (library.search_index().code_of(p.id).tobytes(), p.width, p.height)
              for p in library.photos()}
    other = library.encoder.model_id + "-other"  # a second model's codes come back too
    store.register_model(other, "other", 8, None, "{}")
    with store.transaction() as conn:
        conn.execute("INSERT INTO codes SELECT id, ?, x'2a' FROM photos", (other,))
    trash = tmp_path / "Trash"
    shutil.move(album / "sub", trash / "sub")
    trash.joinpath("chelsea.jpg").write_bytes((album / "chelsea.jpg").read_bytes())
    os.remove(album / "chelsea.jpg")
    assert library.remove_paths([album / "sub", album / "chelsea.jpg"]) == 3
    encoded, decoded = [], []
    real_encode, real_decode = library.encoder.encode_pixels, pipeline.images.decode
    monkeypatch.setattr(library.encoder, "encode_pixels",
                        lambda px: encoded.append(len(px)) or real_encode(px))
    monkeypatch.setattr(pipeline.images, "decode",
                        lambda *a, **k: decoded.append(a[1]) or real_decode(*a, **k))
    shutil.move(trash / "sub", album / "sub")  # the undo
    shutil.move(trash / "chelsea.jpg", album / "chelsea.jpg")
    report = library.index_paths([album / "sub", album / "chelsea.jpg"])
    assert (report.added, report.failed, encoded, decoded) == (3, 0, [], [])
    assert {p.path: (library.search_index().code_of(p.id).tobytes(), p.width, p.height)
            for p in library.photos()} == before
    assert store.query("SELECT COUNT(*) FROM codes WHERE model_id = ?", (other,))[0][0] == 5
    replaced = album / "chelsea-copy.jpg"  # deleted, then another picture by its name
    os.remove(replaced)
    library.remove_paths([replaced])
    shutil.copy(album / "sub" / "coffee.jpg", replaced)
    assert library.index_paths([replaced]).added == 1
    assert library.search_index().code_of(library.photo_by_path(replaced).id).tobytes() \
        == before[str(album / "sub" / "coffee.jpg")][0]


def test_a_few_changed_files_do_not_load_every_fingerprint(library, album, monkeypatch):
    """One watcher event in a big library read every fingerprint with a code (0.6 s at
    200,000 photos); a few files now look up only their own content."""
    library.index_folder(album)
    os.rename(album / "chelsea.jpg", album / "chelsea-renamed.jpg")
    loads = []
    real = library._known_content
    monkeypatch.setattr(library, "_known_content", lambda: loads.append(1) or real())
    report = library.index_paths([album / "chelsea.jpg", album / "chelsea-renamed.jpg"])
    assert (report.moved, report.added, report.removed) == (1, 0, 0) and loads == []
    monkeypatch.setattr(library_module, "LOOK_UP_CONTENT_UP_TO", 0)
    os.rename(album / "chelsea-renamed.jpg", album / "chelsea.jpg")
    report = library.index_paths([album / "chelsea.jpg", album / "chelsea-renamed.jpg"])
    assert (report.moved, report.added, report.removed) == (1, 0, 0) and loads == [1]


def test_similar_ranks_near_duplicate_first_and_excludes_itself(library, album):
    library.index_folder(album)
    chelsea = library.photo_by_path(album / "chelsea.jpg")
    matches = library.similar(chelsea.id, k=10)
    assert chelsea.id not in [m.photo_id for m in matches]
    assert len(matches) == 4
    assert os.path.basename(matches[0].path) == "chelsea-copy.jpg"
    assert [m.distance for m in matches] == sorted(m.distance for m in matches)
    assert 0 <= matches[0].similarity <= 1 and matches[0].bits == 48


def test_similar_to_file_outside_library_is_not_stored(library, album, tmp_path, photo_factory):
    library.index_folder(album)
    outside = photo_factory("outside/query.jpg", "chelsea", quality=60)
    matches = library.similar_to_file(outside, k=2)
    assert {os.path.basename(m.path) for m in matches} == {"chelsea.jpg", "chelsea-copy.jpg"}
    assert len(library.photos()) == 5
    assert library.photo_by_path(outside) is None


def test_max_distance_limits_results(library, album):
    library.index_folder(album)
    chelsea = library.photo_by_path(album / "chelsea.jpg")
    all_matches = library.similar(chelsea.id, k=None)
    limit = all_matches[0].distance
    near = library.similar(chelsea.id, k=None, max_distance=limit)
    assert near and all(m.distance <= limit for m in near)
    assert len(near) == sum(m.distance <= limit for m in all_matches)


def test_duplicates_groups_identical_copies(library, album):
    shutil.copy(album / "chelsea.jpg", album / "chelsea-again.jpg")
    shutil.copy(album / "sub" / "coffee.jpg", album / "coffee-again.jpg")
    library.index_folder(album)
    groups = library.duplicates(max_distance=0)
    names = [sorted(os.path.basename(m.path) for m in g) for g in groups]
    # (chelsea-copy.jpg, a re-compressed copy, may land in the chelsea group too)
    assert any({"chelsea-again.jpg", "chelsea.jpg"} <= set(g) for g in names)
    assert ["coffee-again.jpg", "coffee.jpg"] in names
    assert not any("astronaut.png" in g for g in names)
    for group in groups:
        assert group[0].distance == 0 and all(m.distance == 0 for m in group)


def test_stop_keeps_work_and_next_run_resumes(library, album, photo_factory):
    for i in range(12):
        photo_factory(f"album/more/p{i:02d}.jpg", ["cat", "coffee", "rocket"][i % 3],
                      quality=60 + i)
    seen = []
    report = library.index_folder(album, progress=lambda d, t: seen.append((d, t)),
                                  should_stop=lambda: len(seen) > 6)
    assert report.stopped
    first = len(library.photos())
    assert 0 < first < 17
    assert seen[0] == (0, 17)
    report2 = library.index_folder(album)
    assert not report2.stopped
    assert report2.unchanged == first and report2.added + report2.unchanged == 17
    assert len(library.photos()) == 17


def test_folder_gone_removes_nothing(library, album, tmp_path):
    library.index_folder(album)
    shutil.move(album, tmp_path / "unplugged")
    report = library.index_folder(album)
    assert report.removed == 0 and report.errors
    assert "nothing was removed" in report.errors[0][1]
    assert len(library.photos()) == 5


def test_remove_folder_and_remove_paths(library, album):
    library.index_folder(album)
    os.remove(album / "chelsea.jpg")
    assert library.remove_paths([album / "chelsea.jpg", album / "astronaut.png"]) == 1
    shutil.rmtree(album / "sub")
    assert library.remove_paths([album / "sub"]) == 2
    assert paths_of(library) == ["astronaut.png", "chelsea-copy.jpg"]
    assert library.remove_folder(album) == 2
    assert library.photos() == [] and library.folders() == []


def test_removing_a_folder_can_keep_folders_inside_it_with_their_codes(library, album,
                                                                       tmp_path):
    """The app's watched folders inside a removed one (merged into it when it was added) stay,
    each a library folder again, their photos with the same ids and codes: nothing to encode."""
    library.index_folder(album / "sub")
    library.index_folder(album)  # merges sub into album
    assert [f.path for f in library.folders()] == [str(album)]
    before = {p.path: p.id for p in library.photos()}
    codes = {i: library.search_index().code_of(i).tobytes() for i in before.values()}
    link = tmp_path / "link-to-sub"
    link.symlink_to(album / "sub")
    # A kept folder is taken once (by any name), folders not inside the removed one are not
    # added, and one inside a kept one stays part of it.
    keep = [str(link), str(album / "sub"), str(tmp_path / "elsewhere"), str(album / "sub" / "x")]
    assert library.remove_folder(album, keep=keep) == 3
    assert [f.path for f in library.folders()] == [str(album / "sub")]
    kept = {p.path: p.id for p in library.photos()}
    assert kept == {p: i for p, i in before.items() if p.startswith(str(album / "sub") + "/")}
    assert {i: library.search_index().code_of(i).tobytes() for i in kept.values()} == {
        i: codes[i] for i in kept.values()}
    report = library.index_folder(album / "sub")
    assert (report.added, report.unchanged) == (0, 2)


def test_forgetting_deleted_photos_does_not_read_the_whole_library_for_each(library, album,
                                                                             store):
    """The watcher reports 1,000 photos moved to the trash: each was looked up by reading every
    row (a query that could not use the path index), 50 ms a photo at 200,000 photos, so a
    minute of the indexer's time before the trash's undo could be indexed."""
    library.index_folder(album)
    folder_id = library.folders()[0].id
    with store.transaction() as conn:  # a bigger library: rows the lookups must not walk
        conn.executemany(
            "INSERT INTO photos(path, folder_id, size, mtime, fingerprint, status, indexed_at) "
            "VALUES (?, ?, 1, 1.0, ?, 'ok', 0)",
            ((f"{album}/old/{i:05d}.jpg", folder_id, f"{i:032x}") for i in range(20_000)))
    gone = [album / "chelsea.jpg", album / "sub" / "coffee.jpg", album / "not-there.jpg"]
    for path in gone[:2]:
        os.remove(path)
    steps = []
    store.conn.set_progress_handler(lambda: steps.append(1), 1000)
    try:
        assert library.remove_paths(gone) == 2
        library.index_paths([album / "sub" / "coffee.jpg"])  # reported deleted again
    finally:
        store.conn.set_progress_handler(None, 0)
    assert len(steps) < 100, len(steps)  # a walk of the 20,000 rows takes several hundred


def test_index_paths_from_watcher(library, album, photo_factory):
    library.index_folder(album)
    new = photo_factory("album/sub/new.jpg", "hubble_deep_field")
    os.remove(album / "chelsea.jpg")
    report = library.index_paths([new, album / "chelsea.jpg"])
    assert (report.added, report.removed) == (1, 1)
    photo_factory("album/deeper/x/a.jpg", "coffee")
    report = library.index_paths([album / "deeper"])
    assert report.added == 1
    assert len(library.photos()) == 6


def test_nested_folder_is_covered_by_parent(library, album):
    outer = library.add_folder(album)
    inner = library.add_folder(album / "sub")
    assert inner == outer


def test_activate_model_encodes_beside_old_codes(library, album, tmp_path):
    from tiny_model import make_tiny_model

    from desktop_app.core.encoder import load_encoder

    library.index_folder(album)
    old_id = library.model_id
    other = load_encoder(make_tiny_model(tmp_path / "m2", bits=32, seed=5, name="other"))
    seen = []
    report = library.activate_model(other, progress=lambda d, t: seen.append((d, t)))
    assert report.updated == 5 and seen[-1] == (5, 5)
    assert library.model_id == other.model_id and library.bits == 32
    assert library.store.active_model_id() == other.model_id
    models = {m["id"]: m for m in library.store.models()}
    assert models[old_id]["codes"] == 5 and models[other.model_id]["codes"] == 5
    assert library.search_index().codes.shape == (5, 4)


def test_search_index_sees_writes_from_another_connection(library, album, store, tiny_encoder):
    assert len(library.search_index()) == 0
    other = PhotoLibrary(Store(store.path), tiny_encoder)
    other.index_folder(album)
    assert len(library.search_index()) == 5
    other.store.close()


def test_encoder_failure_mid_run_writes_nothing_half_done(library, album, monkeypatch):
    real = library.encoder.encode_pixels
    calls = []

    def flaky(pixels):
        calls.append(len(pixels))
        if len(calls) == 2:
            raise RuntimeError("onnxruntime fell over")
        return real(pixels)

    monkeypatch.setattr(library.encoder, "encode_pixels", flaky)
    try:
        library.index_folder(album)
        raise AssertionError("the encoder error was swallowed")
    except RuntimeError as exc:
        assert "fell over" in str(exc)
    assert len(calls) == 2  # not retried on the way out
    assert library.store.integrity_check() == "ok"
    monkeypatch.setattr(library.encoder, "encode_pixels", real)
    report = library.index_folder(album)
    assert report.added + report.unchanged == 5 and report.failed == 0
    assert len(library.photos()) == 5 and len(library.search_index()) == 5


def test_search_index_snapshot_is_not_changed_by_later_writes(library, album, photo_factory):
    library.index_folder(album)
    before = library.search_index()
    photo_factory("album/new.jpg", "cat")
    library.index_folder(album)
    after = library.search_index()
    assert len(before) == 5 and len(after) == 6 and after is not before
    assert library.search_index() is after  # cached until something changes


def test_indexing_with_a_second_model_keeps_the_first_models_codes(library, album, store,
                                                                   tmp_path):
    from tiny_model import make_tiny_model

    from desktop_app.core.encoder import load_encoder

    library.index_folder(album)
    first = library.model_id
    other = PhotoLibrary(store, load_encoder(make_tiny_model(tmp_path / "m3", bits=24, seed=9)),
                         activate_if_none=False)
    report = other.index_folder(album)
    assert (report.added, report.updated) == (0, 5)
    assert store.active_model_id() == first
    counts = {m["id"]: m["codes"] for m in store.models()}
    assert counts == {first: 5, other.model_id: 5}
    assert len(library.search_index()) == 5 and len(other.search_index()) == 5
    # A changed file drops the codes of every model: they describe the old picture.
    import os

    from photos import make_photo

    make_photo(album / "chelsea.jpg", "rocket")
    os.utime(album / "chelsea.jpg", (3, 3))
    library.index_folder(album)
    counts = {m["id"]: m["codes"] for m in store.models()}
    assert counts == {first: 5, other.model_id: 4}


def test_watcher_move_as_delete_plus_create_keeps_codes(library, album, monkeypatch):
    library.index_folder(album)
    old = library.photo_by_path(album / "astronaut.png")
    os.rename(album / "astronaut.png", album / "sub" / "moved.png")
    monkeypatch.setattr(library.encoder, "encode_pixels",
                        lambda px: (_ for _ in ()).throw(AssertionError("re-encoded")))
    report = library.index_paths([album / "astronaut.png", album / "sub" / "moved.png"])
    assert (report.moved, report.removed, report.added) == (1, 0, 0)
    assert library.photo_by_path(album / "sub" / "moved.png").id == old.id
    assert library.photo_by_path(album / "astronaut.png") is None
    assert len(library.photos()) == 5


def test_activate_model_handles_deleted_and_broken_files(library, album, tmp_path):
    from tiny_model import make_tiny_model

    from desktop_app.core.encoder import load_encoder

    library.index_folder(album)
    os.remove(album / "sub" / "rocket.webp")
    (album / "astronaut.png").write_bytes(b"")  # broken after it was indexed
    other = load_encoder(make_tiny_model(tmp_path / "m4", bits=16, seed=2, name="m4"))
    report = library.activate_model(other)
    assert (report.updated, report.removed, report.failed) == (3, 1, 1)
    assert "empty (0 bytes)" in report.errors[0][1]
    assert library.model_id == other.model_id and len(library.search_index()) == 3
    assert [os.path.basename(p.path) for p in library.failed()] == ["astronaut.png"]


def test_photo_replaced_by_a_folder_of_the_same_name_is_removed(library, album, photo_factory):
    """The name still exists on disk, but as a folder: the photo is gone and must not stay in
    the library (searches would list a folder), whether found by a full index or the watcher."""
    library.index_folder(album)
    os.remove(album / "chelsea.jpg")
    photo_factory("album/chelsea.jpg/inside.jpg", "rocket")
    report = library.index_folder(album)
    assert (report.added, report.removed) == (1, 1)
    assert library.photo_by_path(album / "chelsea.jpg") is None
    assert library.photo_by_path(album / "chelsea.jpg" / "inside.jpg") is not None

    os.remove(album / "astronaut.png")
    photo_factory("album/astronaut.png/inside.png", "coffee")
    report = library.index_paths([album / "astronaut.png"])
    assert (report.added, report.removed) == (1, 1)
    assert library.photo_by_path(album / "astronaut.png") is None
    assert all(os.path.isfile(p.path) for p in library.photos())
