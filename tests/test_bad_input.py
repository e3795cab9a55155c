"""Bad input never crashes or loses data: each problem is recorded per file with a clear reason
(shown by `lookalike status`) and retried when the file changes. Real files, real SQLite, the
real tiny ONNX model."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from photos import exif_bytes, sample_image
from PIL import Image

from desktop_app.core import images
from desktop_app.core import library as library_module
from desktop_app.core.encoder import load_encoder
from desktop_app.core.errors import StoreError
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store


@pytest.fixture
def lib(tmp_path, tiny_model_dir):
    store = Store(tmp_path / "library.sqlite3")
    yield PhotoLibrary(store, load_encoder(tiny_model_dir, intra_op_threads=1), batch_size=4)
    store.close()


def by_name(library):
    return {os.path.basename(p.path): p for p in library.photos()}


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height with almost no data: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def save(image: Image.Image, path: Path, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **kwargs)
    return path


# -- files that must fail, each with its own reason -------------------------------------------
def test_broken_files_are_recorded_with_reasons_and_nothing_else_is_lost(lib, tmp_path,
                                                                         photo_factory):
    folder = tmp_path / "bad"
    photo_factory("bad/good.jpg", "chelsea")
    (folder / "empty.jpg").write_bytes(b"")
    good = (folder / "good.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (folder / "random.jpg").write_bytes(np.random.default_rng(0).bytes(5000))
    (folder / "text.png").write_text("this is a note, not a picture\n")
    (folder / "bomb.png").write_bytes(png_header_only(30_000, 30_000))
    report = lib.index_folder(folder)
    assert (report.added, report.failed) == (1, 5)
    photos = by_name(lib)
    assert photos["good.jpg"].status == "ok"
    reasons = {name: photos[name].error for name in photos if name != "good.jpg"}
    assert all(photos[n].status == "failed" for n in reasons)
    assert "empty (0 bytes)" in reasons["empty.jpg"]
    assert "damaged or truncated" in reasons["truncated.jpg"]
    assert "not an image" in reasons["random.jpg"]
    assert "not an image" in reasons["text.png"]
    assert "safety limit" in reasons["bomb.png"] and "30000x30000" in reasons["bomb.png"]
    assert "save a copy at a smaller size" in reasons["bomb.png"]  # words a user knows
    for name, message in reasons.items():
        assert message.startswith(str(folder / name)), message  # names the file
        assert message.count(". ") >= 1 and message.endswith(".")  # cause, then remedy
    assert sorted(os.path.basename(p) for p, _ in report.errors) == sorted(reasons)


def test_a_truncated_heic_gets_a_one_line_message(lib, tmp_path, photo_factory):
    """libheif's error text ends in a newline; `status` shows one failure per line."""
    whole = photo_factory("heic/whole.heic", "coffee").read_bytes()
    (tmp_path / "heic" / "cut.heic").write_bytes(whole[: len(whole) // 2])
    report = lib.index_folder(tmp_path / "heic")
    assert (report.added, report.failed) == (1, 1)
    (failed,) = lib.failed()
    assert "damaged or truncated" in failed.error
    assert "\n" not in failed.error and "\n" not in report.errors[0][1]
    assert failed.error.endswith("re-export or remove it.")


def test_failed_file_is_skipped_until_it_changes_then_retried(lib, tmp_path, photo_factory):
    folder = tmp_path / "retry"
    folder.mkdir()
    (folder / "late.jpg").write_bytes(b"")
    assert lib.index_folder(folder).failed == 1
    again = lib.index_folder(folder)
    assert (again.failed, again.unchanged) == (0, 1)  # not read again while unchanged
    photo_factory("retry/late.jpg", "coffee")  # the copy finished
    os.utime(folder / "late.jpg", (2_000_000_000, 2_000_000_000))
    fixed = lib.index_folder(folder)
    assert (fixed.updated, fixed.failed) == (1, 0)
    assert by_name(lib)["late.jpg"].status == "ok" and by_name(lib)["late.jpg"].error is None
    assert lib.failed() == []


def test_a_renamed_folder_leaves_no_stale_failure_behind(lib, tmp_path, photo_factory):
    """A folder renamed while the app was closed, holding an unreadable file: indexing the new
    name must not keep listing the file under the old name (a photo that no longer exists),
    nor keep the old folder in the library."""
    photo_factory("before/good.jpg", "coffee")
    (tmp_path / "before" / "broken.jpg").write_text("not a photo")
    assert lib.index_folder(tmp_path / "before").failed == 1
    os.rename(tmp_path / "before", tmp_path / "after")
    report = lib.index_folder(tmp_path / "after")
    assert (report.moved, report.failed) == (1, 1)
    assert [p.path for p in lib.failed()] == [str(tmp_path / "after" / "broken.jpg")]
    assert "/after/broken.jpg: " in lib.failed()[0].error
    assert [f.path for f in lib.folders()] == [str(tmp_path / "after")]
    assert len(lib.photos()) == 2


def test_retry_failed_reads_again_even_unchanged(lib, tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "x.png").write_text("nope")
    lib.index_folder(folder)
    report = lib.retry_failed()
    assert report.failed == 1 and len(lib.failed()) == 1


# -- odd but valid images must index -----------------------------------------------------------
def test_unusual_valid_images_index(lib, tmp_path):
    folder = tmp_path / "odd"
    base = sample_image("astronaut").resize((120, 90))
    save(Image.new("RGB", (1, 1), (200, 10, 10)), folder / "one-pixel.png")
    sixteen = (np.asarray(base.convert("L"), dtype=np.uint16) * 257)
    save(Image.fromarray(sixteen), folder / "sixteen-bit.png")
    assert Image.open(folder / "sixteen-bit.png").mode.startswith("I")
    save(base.convert("CMYK"), folder / "cmyk.jpg", quality=90)
    save(base.convert("L"), folder / "gray.jpg", quality=90)
    palette = base.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    save(palette, folder / "palette-alpha.png", transparency=0)
    frames = [sample_image(n).resize((60, 40)) for n in ("chelsea", "coffee", "rocket")]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:],
                   duration=100, loop=0)
    save(base, folder / "photo.tiff")
    save(base, folder / "photo.bmp")
    report = lib.index_folder(folder)
    assert report.failed == 0, report.errors
    assert report.added == 8
    photos = by_name(lib)
    assert (photos["one-pixel.png"].width, photos["one-pixel.png"].height) == (1, 1)
    assert (photos["animated.gif"].width, photos["animated.gif"].height) == (60, 40)
    # The animated GIF is read from its first frame: it encodes like that frame alone.
    first = save(frames[0], tmp_path / "first-frame.png")
    gif_code = lib.search_index().code_of(photos["animated.gif"].id)
    assert (lib.encode_file(first) == gif_code).mean() > 0.8
    # Transparent palette areas become white, not black.
    loaded = images.load_photo(folder / "palette-alpha.png").image
    transparent = np.asarray(palette) == 0
    assert (np.asarray(loaded)[transparent] == 255).all()


_INVERSE = {  # what a camera stores so that applying EXIF orientation N shows the scene upright
    1: [], 2: [Image.Transpose.FLIP_LEFT_RIGHT], 3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM], 5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_90], 7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_270],
}


def test_all_eight_exif_orientations_end_up_upright(lib, tmp_path):
    # A scene that is different in every direction: red top-left, blue bottom-right, 3:2 wide.
    scene = np.full((80, 120, 3), 128, np.uint8)
    scene[:40, :60] = (220, 30, 30)
    scene[40:, 60:] = (30, 30, 220)
    scene[:10, 100:] = (30, 220, 30)  # green top-right corner
    upright = Image.fromarray(scene)
    folder = tmp_path / "orient"
    folder.mkdir()
    for orientation, ops in _INVERSE.items():
        stored = upright
        for op in ops:
            stored = stored.transpose(op)
        stored.save(folder / f"o{orientation}.jpg", quality=95, exif=exif_bytes(orientation))
    report = lib.index_folder(folder)
    assert (report.added, report.failed) == (8, 0)
    for orientation in range(1, 9):
        path = folder / f"o{orientation}.jpg"
        got = np.asarray(images.load_photo(path).image, dtype=np.int16)
        assert got.shape == scene.shape, orientation
        assert np.abs(got - scene).mean() < 6, f"orientation {orientation} is not upright"
        photo = lib.photo_by_path(path)
        assert (photo.width, photo.height) == (120, 80)
    codes = {lib.search_index().code_of(lib.photo_by_path(folder / f"o{o}.jpg").id).tobytes()
             for o in range(1, 9)}
    assert len(codes) <= 2  # the same picture, whatever way the camera stored it


# -- the file system misbehaving ------------------------------------------------------------
def test_broken_symlinks_and_symlink_loops(lib, tmp_path, photo_factory):
    folder = tmp_path / "links"
    photo_factory("links/real.jpg", "chelsea")
    os.symlink(folder / "missing.jpg", folder / "dangling.jpg")
    os.symlink(folder / "loop-b.jpg", folder / "loop-a.jpg")
    os.symlink(folder / "loop-a.jpg", folder / "loop-b.jpg")
    os.symlink(folder, folder / "myself")  # a folder link back up the tree
    (folder / "sub").mkdir()
    os.symlink("..", folder / "sub" / "parent")
    os.symlink(folder / "real.jpg", folder / "sub" / "alias.jpg")  # a good file link
    report = lib.index_folder(folder)
    photos = by_name(lib)
    assert photos["real.jpg"].status == "ok" and photos["alias.jpg"].status == "ok"
    assert "missing.jpg', which does not exist" in photos["dangling.jpg"].error
    for name in ("dangling.jpg", "loop-a.jpg", "loop-b.jpg"):
        assert photos[name].status == "failed"
        assert photos[name].error.endswith("fix or delete the link.")
    assert "links form a loop" in photos["loop-a.jpg"].error
    assert len(photos) == 5  # the walk did not follow the loops
    assert report.failed == 3


def test_a_folder_link_back_to_a_folder_holding_it_is_not_followed(lib, tmp_path,
                                                                    photo_factory):
    """A loop made inside a watched folder while the app runs: the watcher's change is a scan
    of the new folder alone, which followed its link up into the whole library and indexed
    every photo again under the loop's name. A link above the folder indexed (to the home
    folder, say) walked everything beside it. A link that loops on itself says so."""
    folder = tmp_path / "album"
    photo_factory("album/a.jpg", "chelsea")
    photo_factory("album/sub/b.jpg", "coffee")
    photo_factory("elsewhere/c.jpg", "rocket")  # beside the album, not in it
    os.symlink("..", folder / "sub" / "up")
    os.symlink("../..", folder / "sub" / "above")  # tmp_path: holds the album and elsewhere/
    os.symlink("myself", folder / "myself")
    report = lib.index_folder(folder)
    assert sorted(by_name(lib)) == ["a.jpg", "b.jpg"]
    assert report.errors == [(str(folder / "myself"), (
        f"{folder / 'myself'}: this link leads back to itself through other links (the links "
        "form a loop), so nothing can be found through it; the photos already indexed through "
        "it are kept. Fix or delete the link."))]
    (folder / "new").mkdir()  # as the watcher reports a new folder: the folder alone
    photo_factory("album/new/d.jpg", "astronaut")
    os.symlink(folder, folder / "new" / "back")
    report = lib.index_paths([folder / "new"])
    assert (report.added, report.errors) == (1, [])
    assert sorted(by_name(lib)) == ["a.jpg", "b.jpg", "d.jpg"]


def test_changes_in_hidden_folders_are_skipped_as_the_walk_skips_them(lib, tmp_path,
                                                                      photo_factory):
    """A photo moved into a drive's own trash folder is gone from the library, not indexed
    there (a full index skips hidden folders, so the two disagreed until the next one)."""
    folder = tmp_path / "drive"
    photo_factory("drive/IMG_1.jpg", "chelsea")
    lib.index_folder(folder)
    trashed = folder / ".Trash-1000" / "files" / "IMG_1.jpg"
    trashed.parent.mkdir(parents=True)
    (folder / "IMG_1.jpg").rename(trashed)
    photo_factory("drive/.cache/thumbnails/ab/thumb.jpg", "coffee")
    report = lib.index_paths([trashed, folder / ".cache" / "thumbnails" / "ab",
                              folder / "IMG_1.jpg"])
    assert (report.added, report.moved, report.removed) == (0, 0, 1)
    assert lib.photos() == []


def test_a_hidden_folder_watched_by_name_inside_another_keeps_up(lib, tmp_path, photo_factory):
    """~/.photos watched, then the home folder too (the window allows a folder around one
    already watched): .photos stays a library folder of its own (the home folder's walk skips
    it), the start indexes each watched folder, so .photos's photos are in, and its own watcher
    reports its changes; index_paths
    dropped them as "in a hidden folder of the home folder", so a new photo there was not
    indexed, nor a changed one read, until the next start."""
    home = tmp_path / "home"
    photo_factory("home/.photos/a.jpg", "chelsea")
    photo_factory("home/b.jpg", "coffee")
    lib.index_folders([home / ".photos", home])
    assert sorted(by_name(lib)) == ["a.jpg", "b.jpg"] and len(lib.folders()) == 2
    new = photo_factory("home/.photos/trip/new.jpg", "rocket")
    (home / ".photos" / "a.jpg").write_bytes((home / "b.jpg").read_bytes())  # changed
    photo_factory("home/.cache/thumb.jpg", "astronaut")  # still skipped: nothing indexed there
    report = lib.index_paths([new.parent, home / ".photos" / "a.jpg", home / ".cache"])
    assert (report.added, report.updated) == (1, 1)
    assert sorted(by_name(lib)) == ["a.jpg", "b.jpg", "new.jpg"]
    assert lib.similar(lib.photo_by_path(home / ".photos" / "a.jpg").id, k=1)[0].distance == 0


def test_non_utf8_file_names(lib, tmp_path, photo_factory, capsys, tiny_model_dir):
    folder = tmp_path / "names"
    photo_factory("names/plain.jpg", "coffee")
    raw = os.fsencode(folder) + b"/caf\xe9-latin1.jpg"
    with open(raw, "wb") as f:
        f.write((folder / "plain.jpg").read_bytes())
    report = lib.index_folder(folder)
    assert (report.added, report.failed) == (2, 0)
    weird = next(p for p in lib.photos() if "latin1" in p.path)
    assert os.fsencode(weird.path) == raw  # the exact bytes come back
    assert lib.similar(weird.id, k=1)[0].distance == 0
    # The command line handles such names without crashing; its JSON gives them back exactly.
    from desktop_app import cli

    assert cli.main(["--model", str(tiny_model_dir), "index", str(folder)]) == 0
    assert cli.main(["--model", str(tiny_model_dir), "similar", str(folder / "plain.jpg"),
                     "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out[out.index("{"):])
    assert os.fsencode(data["results"][0]["matches"][0]["path"]) == raw


def test_file_deleted_between_scan_and_read(lib, tmp_path, photo_factory, monkeypatch):
    folder = tmp_path / "vanish"
    for name in ("a", "b", "c"):
        photo_factory(f"vanish/{name}.jpg", "rocket", quality=70 + ord(name))
    real_scan = library_module.scan_folder

    def scan_then_delete(root, **options):
        result = real_scan(root, **options)
        os.remove(folder / "b.jpg")  # gone after the walk saw it
        return result

    monkeypatch.setattr(library_module, "scan_folder", scan_then_delete)
    report = lib.index_folder(folder)
    assert (report.added, report.failed) == (2, 0)
    assert sorted(by_name(lib)) == ["a.jpg", "c.jpg"]


def test_folder_vanishing_mid_index(lib, tmp_path, photo_factory, monkeypatch):
    folder = tmp_path / "v"
    for i in range(6):
        photo_factory(f"v/keep/k{i}.jpg", "coffee", quality=60 + i)
        photo_factory(f"v/going/g{i}.jpg", "cat", quality=60 + i)
    real_scan = library_module.scan_folder

    def scan_then_remove(root, **options):
        result = real_scan(root, **options)
        shutil.rmtree(folder / "going")  # unplugged while indexing
        return result

    monkeypatch.setattr(library_module, "scan_folder", scan_then_remove)
    report = lib.index_folder(folder)
    assert (report.added, report.failed) == (6, 0)
    assert all("/keep/" in p.path for p in lib.photos())


def test_folder_that_cannot_be_listed_is_not_swept(lib, tmp_path, photo_factory, monkeypatch):
    folder = tmp_path / "w"
    for i in range(3):
        photo_factory(f"w/inner/p{i}.jpg", "coffee", quality=60 + i)
    photo_factory("w/top.jpg", "cat")
    assert lib.index_folder(folder).added == 4
    real_scandir = os.scandir

    def flaky_scandir(path):
        if os.fspath(path).endswith("inner"):
            raise FileNotFoundError(2, "No such file or directory", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", flaky_scandir)
    report = lib.index_folder(folder)
    assert report.removed == 0 and len(lib.photos()) == 4  # nothing lost


def test_disk_full_is_clear_and_loses_nothing(lib, tmp_path, photo_factory):
    folder = tmp_path / "full"
    photo_factory("full/first.jpg", "chelsea")
    lib.index_folder(folder)
    for i in range(40):
        photo_factory(f"full/more/p{i:02d}.jpg", "coffee", quality=50 + i)
    pages = lib.store.query("PRAGMA page_count")[0][0]
    lib.store.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError) as err:
        lib.index_folder(folder)
    assert "disk is full" in str(err.value) and "Free some disk space" in str(err.value)
    assert lib.store.integrity_check() == "ok"
    assert "first.jpg" in by_name(lib)
    lib.store.conn.execute("PRAGMA max_page_count = 1073741823")
    report = lib.index_folder(folder)
    assert report.failed == 0 and len(lib.photos()) == 41


def test_a_file_size_limit_is_a_clear_database_error(tmp_path, photo_factory, tiny_model_dir,
                                                    lookalike_home):
    """RLIMIT_FSIZE (ulimit -f) makes SQLite's writes fail with a bare "disk I/O error": the
    message must still say what happened and what to do, and nothing saved may be lost."""
    import resource

    folder = tmp_path / "limited"
    photo_factory("limited/first.jpg", "chelsea")
    for i in range(60):
        photo_factory(f"limited/more/p{i:02d}.jpg", "coffee", quality=30 + i)
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    args = [sys.executable, "-m", "desktop_app", "--model", str(tiny_model_dir), "index",
            str(folder)]

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, resource.RLIM_INFINITY))

    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120,
                          preexec_fn=limit_file_size, check=False)
    assert done.returncode == 5, done.stderr
    assert "disk I/O error" in done.stderr
    assert "could not be written" in done.stderr and "free disk space" in done.stderr
    assert done.stderr.count("\n") == 1  # one message, no traceback
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    with Store(lookalike_home / "data" / "library.sqlite3") as store:
        assert store.integrity_check() == "ok"
        assert store.query("SELECT COUNT(*) FROM photos")[0][0] == 61


def _run_cli_without_root_privileges(args, env):
    """Run the CLI so that file permissions apply: as root, drop the capabilities that let root
    read any file (setpriv). Returns CompletedProcess, or None if that is impossible here."""
    cmd = [sys.executable, "-m", "desktop_app", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            return None
        cmd = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *cmd]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, env=env,
                          timeout=120)


def test_unreadable_file_and_folder(tmp_path, photo_factory, tiny_model_dir, lookalike_home):
    folder = tmp_path / "perm"
    photo_factory("perm/ok.jpg", "chelsea")
    photo_factory("perm/locked.jpg", "coffee")
    photo_factory("perm/closed/inside.jpg", "rocket")
    os.chmod(folder / "locked.jpg", 0)
    os.chmod(folder / "closed", 0)
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    try:
        done = _run_cli_without_root_privileges(
            ["--model", str(tiny_model_dir), "index", str(folder), "--json"], env)
        if done is None:
            pytest.skip("running as root without setpriv: root reads any file, so permission "
                        "errors cannot happen here")
        assert done.returncode == 3, done.stderr  # finished, some photos could not be read
        report = json.loads(done.stdout)["folders"][0]
        assert report["added"] == 1 and report["failed"] == 1
        messages = " ".join(e["message"] for e in report["errors"])
        assert "locked.jpg: permission denied" in messages
        assert "closed: cannot open this folder" in messages
        # A second run once the folder is readable again indexes what was hidden, loses nothing.
        os.chmod(folder / "closed", 0o755)
        done = _run_cli_without_root_privileges(
            ["--model", str(tiny_model_dir), "index", str(folder), "--json"], env)
        report = json.loads(done.stdout)["folders"][0]
        assert report["added"] == 1 and report["removed"] == 0
    finally:
        os.chmod(folder / "locked.jpg", 0o644)
        os.chmod(folder / "closed", 0o755)


def test_a_linked_folder_that_cannot_be_opened_is_reported_and_kept(
        tmp_path, photo_factory, tiny_model_dir, lookalike_home):
    """A link to a folder elsewhere that the user may not open any more: its photos' records
    stay (as for a folder that cannot be listed) and the run says why, instead of silently
    skipping the link and then sweeping everything behind it."""
    folder = tmp_path / "album"
    photo_factory("album/ok.jpg", "chelsea")
    photo_factory("outside/photos/a.jpg", "coffee")
    photo_factory("outside/photos/b.jpg", "rocket")
    os.symlink(tmp_path / "outside" / "photos", folder / "linked")
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    args = ["--model", str(tiny_model_dir), "index", str(folder), "--json"]
    done = _run_cli_without_root_privileges(args, env)
    if done is None:
        pytest.skip("running as root without setpriv: permission errors cannot happen here")
    assert json.loads(done.stdout)["folders"][0]["added"] == 3, done.stderr
    os.chmod(tmp_path / "outside", 0)
    try:
        done = _run_cli_without_root_privileges(args, env)
    finally:
        os.chmod(tmp_path / "outside", 0o755)
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)["folders"][0]
    assert report["removed"] == 0
    expected = (f"{folder / 'linked'}: cannot open this folder (Permission denied); the photos "
                "already indexed from it are kept. Give your user read access, then index again.")
    assert [e["message"] for e in report["errors"]] == [expected]
    assert json.loads(done.stdout)["library"]["photos"] == 3


def test_a_folder_link_to_an_unplugged_drive_keeps_its_photos(lib, tmp_path, photo_factory):
    """A link to a folder on a drive that is unplugged now (its target is gone): the photos
    indexed through it keep their records and codes, and the run says why. A broken link with
    a photo's name is still a failed photo, and deleting the folder link removes its photos."""
    folder = tmp_path / "album"
    photo_factory("album/ok.jpg", "chelsea")
    photo_factory("drive/photos/a.jpg", "coffee")
    photo_factory("drive/photos/b.jpg", "rocket")
    os.symlink(tmp_path / "drive" / "photos", folder / "linked")
    os.symlink(tmp_path / "drive" / "photos" / "a.jpg", folder / "alias.jpg")
    os.symlink(tmp_path / "nowhere", folder / "notes")  # dangling, nothing indexed through it
    first = lib.index_folder(folder)
    assert (first.added, first.errors) == (4, [])
    kept = {p.id for p in lib.photos() if "linked" in p.path}
    assert len(kept) == 2
    (tmp_path / "drive").rename(tmp_path / "drive-unplugged")
    report = lib.index_folder(folder)
    assert report.removed == 0 and report.failed == 1
    said = (f"{folder / 'linked'}: this link's target '{tmp_path / 'drive' / 'photos'}' is "
            "missing (is a drive unplugged?); the photos already indexed through it are kept. "
            "Connect the drive and index again, or delete the link to remove its photos from "
            "the library.")
    assert report.errors == [(str(folder / "linked"), said), (str(folder / "alias.jpg"),
                                                              report.errors[1][1])]
    assert "which does not exist" in by_name(lib)["alias.jpg"].error
    assert all(lib.search_index().code_of(pid) is not None for pid in kept)
    (tmp_path / "drive-unplugged").rename(tmp_path / "drive")
    report = lib.index_folder(folder)
    assert (report.removed, report.added, report.errors) == (0, 0, [])
    assert (report.updated, report.unchanged) == (1, 3)  # only alias.jpg is read again
    assert {p.id for p in lib.photos() if "linked" in p.path} == kept
    (tmp_path / "drive").rename(tmp_path / "drive-unplugged")
    os.remove(folder / "linked")  # the link itself deleted: its photos go
    assert lib.index_folder(folder).removed == 2
    assert sorted(by_name(lib)) == ["alias.jpg", "ok.jpg"]


def test_a_folder_too_deep_to_open_is_reported_not_skipped(lib, tmp_path):
    """A folder whose path is longer than the system allows (PATH_MAX) cannot be opened: the
    run says so and which folder, rather than finding nothing there without a word."""
    root = tmp_path / "deep"
    root.mkdir()
    name = "d" * 250
    fd = os.open(root, os.O_RDONLY)
    try:  # built one level at a time through descriptors: the whole path is too long to use
        for _ in range(18):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        photo = os.open("p.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(photo, b"\xff\xd8")  # never read: the folder cannot be opened
        os.close(photo)
    finally:
        os.close(fd)
    report = lib.index_folder(root)
    assert report.added == 0 and len(report.errors) == 1
    path, message = report.errors[0]
    assert len(path) > 4096 and path.startswith(str(root / name))
    assert message.endswith("cannot open this folder (File name too long); the photos already "
                            "indexed from it are kept. Give it a shorter path, then index "
                            "again.")


def test_every_supported_format_indexes(lib, tmp_path, photo_factory):
    """JPEG, PNG, WebP, TIFF, BMP, GIF, HEIC, and AVIF where Pillow supports it."""
    for suffix in ("jpg", "png", "webp", "tiff", "bmp", "gif", "heic"):
        photo_factory(f"formats/coffee.{suffix}", "coffee", size=(240, 160))
    from PIL import features

    if features.check("avif"):  # Pillow's own AVIF support, where this build has it
        sample_image("coffee").resize((240, 160)).save(tmp_path / "formats" / "coffee.avif",
                                                       quality=90)
    expected = 8 if features.check("avif") else 7
    report = lib.index_folder(tmp_path / "formats")
    assert (report.added, report.failed) == (expected, 0), report.errors
    assert {(p.width, p.height) for p in lib.photos()} == {(240, 160)}
    jpeg = lib.photo_by_path(tmp_path / "formats" / "coffee.jpg")
    near = {os.path.basename(m.path): m.distance for m in lib.similar(jpeg.id, k=expected - 1)}
    # The same picture in every format lands close to the JPEG (GIF has 256 colours only).
    assert all(d <= 8 for name, d in near.items() if not name.endswith(".gif")), near
