"""Killing the indexer with SIGKILL, and two indexers on one library at once: the database stays
intact (PRAGMA integrity_check) and every photo is indexed exactly once. Real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from desktop_app.core.encoder import load_encoder
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store

N_PHOTOS = 48

# Indexes FOLDER into DB, printing each progress step; SLOW seconds per photo make a kill land
# in the middle of the run, and small commits make it likely to land inside a transaction.
HELPER = textwrap.dedent("""
    import sys, time
    from desktop_app.core import library as L
    from desktop_app.core.encoder import load_encoder
    from desktop_app.core.store import Store
    db, model, folder, slow = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    L.COMMIT_ROWS, L.COMMIT_SECONDS = 5, 0.1
    lib = L.PhotoLibrary(Store(db), load_encoder(model, intra_op_threads=1), batch_size=3)
    def progress(done, total):
        print(done, total, flush=True)
        time.sleep(slow)
    report = lib.index_folder(folder, progress=progress)
    print("DONE", report.added, report.moved, report.unchanged, report.failed, flush=True)
""")


@pytest.fixture(scope="module")
def many_photos(tmp_path_factory):
    from photos import make_photo

    folder = tmp_path_factory.mktemp("many")
    names = ("chelsea", "coffee", "rocket", "astronaut", "cat")
    for i in range(N_PHOTOS):
        make_photo(folder / f"d{i % 4}" / f"p{i:03d}.jpg", names[i % 5], quality=40 + i,
                   size=(160, 120))
    return folder


def start_helper(db, model, folder, slow):
    return subprocess.Popen([sys.executable, "-c", HELPER, str(db), str(model), str(folder),
                             str(slow)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def kill_after(proc, steps: int) -> None:
    for line in proc.stdout:
        if line.split()[0].isdigit() and int(line.split()[0]) >= steps:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()


def assert_consistent(db, expected: int | None = None) -> None:
    with Store(db) as store:
        assert store.integrity_check() == "ok"
        paths = [r[0] for r in store.query("SELECT path FROM photos")]
        assert len(paths) == len(set(paths))
        # A photo row and its code are written in one transaction: never one without the other.
        orphans = store.query("SELECT COUNT(*) FROM photos p WHERE p.status = 'ok' AND NOT "
                              "EXISTS (SELECT 1 FROM codes c WHERE c.photo_id = p.id)")[0][0]
        assert orphans == 0
        if expected is not None:
            assert len(paths) == expected
            assert store.query("SELECT COUNT(*) FROM codes")[0][0] == expected


def test_sigkill_mid_index_then_rerun(tmp_path, many_photos, tiny_model_dir):
    db = tmp_path / "library.sqlite3"
    for steps in (12, 30):  # kill twice, at different points
        kill_after(start_helper(db, tiny_model_dir, many_photos, 0.03), steps)
        assert_consistent(db)
    with Store(db) as store:
        kept = store.query("SELECT COUNT(*) FROM photos")[0][0]
    assert 0 < kept < N_PHOTOS  # the kills really landed mid-run, after some commits
    store = Store(db)
    lib = PhotoLibrary(store, load_encoder(tiny_model_dir, intra_op_threads=1))
    report = lib.index_folder(many_photos)
    store.close()
    assert report.unchanged == kept and report.added == N_PHOTOS - kept
    assert report.failed == 0
    assert_consistent(db, expected=N_PHOTOS)


def test_two_processes_index_the_same_library_at_once(tmp_path, many_photos, tiny_model_dir):
    db = tmp_path / "library.sqlite3"
    procs = [start_helper(db, tiny_model_dir, many_photos, 0.0) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert "DONE" in out
    assert_consistent(db, expected=N_PHOTOS)
    # A third run finds nothing to do.
    store = Store(db)
    report = PhotoLibrary(store, load_encoder(tiny_model_dir)).index_folder(many_photos)
    store.close()
    assert report.unchanged == N_PHOTOS and report.encoded == 0
