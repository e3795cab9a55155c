"""Housekeeping of the thumbnail disk cache, on real files: old and least recently used
thumbnails go, everything else stays; a cache hit marks a thumbnail as used; the window runs it
off the GUI thread without holding up its closing."""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import tempfile
import threading
import time

import pytest
from photos import make_photo
from PySide6.QtGui import QImage

from desktop_app import paths
from desktop_app.ui import thumbnail_housekeeping as housekeeping
from desktop_app.ui.thumbnail_housekeeping import DAY_S, STAMP_NAME, tidy
from desktop_app.ui.thumbnails import disk_key, make_thumbnail

NOW = 1_800_000_000.0  # a fixed "now" for tidy(); files are dated relative to it
_keys = itertools.count()


def new_key(prefix: str = "") -> str:
    key = hashlib.blake2b(str(next(_keys)).encode(), digest_size=16).hexdigest()
    return prefix + key[len(prefix):]


def put(path, age_s: float = 0.0, size: int = 5000, now: float = NOW):
    """A file at `path`, `size` bytes, last modified `age_s` before `now`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    os.utime(path, (now - age_s, now - age_s))
    return path


def thumb(root, age_days: float = 0.0, size: int = 5000, key: str | None = None):
    key = key or new_key()
    return put(root / key[:2] / f"{key}.jpg", age_days * DAY_S, size)


def usage(path) -> int:
    st = os.lstat(path)
    return st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size


def test_thumbnails_unused_for_90_days_go_and_recent_ones_stay(tmp_path, caplog):
    root = tmp_path / "thumbnails"
    old = [thumb(root, 91), thumb(root, 400)]
    recent = [thumb(root, 0), thumb(root, 30), thumb(root, 89)]
    freed = sum(usage(p) for p in old)
    with caplog.at_level(logging.INFO, logger="desktop_app.ui.thumbnail_housekeeping"):
        report = tidy(root, now=NOW)
    assert report.ran and not report.stopped
    assert not any(p.exists() for p in old) and all(p.exists() for p in recent)
    assert (report.old_files, report.old_bytes, report.lru_files) == (2, freed, 0)
    assert (report.kept_files, report.kept_bytes) == (3, sum(usage(p) for p in recent))
    # The log says what was done: files removed, bytes freed.
    line = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    assert "removed 2 file(s)" in line and f"{freed / (1 << 20):.1f} MiB freed" in line


def test_over_the_budget_the_least_recently_used_go_first(tmp_path):
    root = tmp_path / "thumbnails"
    files = [thumb(root, age, size=20_000) for age in (5, 1, 4, 2, 3)]  # days since last use
    newest_two = [files[1], files[3]]
    budget = sum(usage(p) for p in newest_two) + 100
    report = tidy(root, now=NOW, budget_bytes=budget)
    assert sorted(p for p in files if p.exists()) == sorted(newest_two)
    assert report.lru_files == 3 and report.old_files == 0
    assert report.kept_bytes <= budget and report.kept_files == 2


def test_only_the_caches_own_files_are_removed_and_symlinks_are_not_followed(tmp_path):
    root = tmp_path / "thumbnails"
    outside = tmp_path / "photos"
    ab = new_key("ab")
    keep = [
        put(root / "notes.txt", 400 * DAY_S),
        put(root / f"{ab}.jpg", 400 * DAY_S),  # a key name, but not in a sub-folder
        put(root / "ab" / "holiday.jpg", 400 * DAY_S),
        put(root / "ab" / f"{ab.upper()}.jpg", 400 * DAY_S),
        put(root / "ab" / f"{new_key('cd')}.jpg", 400 * DAY_S),  # in the wrong sub-folder
        put(root / "ab" / f"{ab}.jpeg", 400 * DAY_S),
        put(root / "albums" / f"{new_key('al')}.jpg", 400 * DAY_S),  # not a 2-hex-digit folder
        put(root / "ab" / ".notes-abcd1234.tmp", 400 * DAY_S),  # not the atomic writer's
    ]
    target = put(outside / "IMG_0001.jpg", 400 * DAY_S)
    link = root / "ab" / f"{new_key('ab')}.jpg"
    link.symlink_to(target)
    cd = new_key("cd")
    linked_in_folder = put(outside / "cd" / f"{cd}.jpg", 400 * DAY_S)
    (root / "cd").symlink_to(outside / "cd", target_is_directory=True)
    real = thumb(root, 400)
    report = tidy(root, now=NOW, budget_bytes=0)  # even a budget of nothing
    assert not real.exists() and report.old_files == 1
    assert all(p.exists() for p in keep)
    assert link.is_symlink() and target.exists()
    assert (root / "cd").is_symlink() and linked_in_folder.exists()
    assert os.stat(target).st_mtime == NOW - 400 * DAY_S  # not touched through the link


def test_temporary_files_of_interrupted_writes_go_once_an_hour_old(tmp_path):
    root = tmp_path / "thumbnails"
    key = new_key()
    folder = root / key[:2]
    folder.mkdir(parents=True)
    # The names atomic_file's writer gives (tempfile.mkstemp beside the thumbnail).
    fd, old_name = tempfile.mkstemp(prefix=f".{key}-", suffix=".tmp", dir=folder)
    os.close(fd)
    fd, young_name = tempfile.mkstemp(prefix=f".{key}-", suffix=".tmp", dir=folder)
    os.close(fd)
    old = put(folder / os.path.basename(old_name), 2 * 3600)
    young = put(folder / os.path.basename(young_name), 10 * 60)
    report = tidy(root, now=NOW)
    assert not old.exists() and young.exists()
    assert report.temp_files == 1 and report.old_files == 0


def test_empty_sub_folders_go(tmp_path):
    root = tmp_path / "thumbnails"
    (root / "ef").mkdir(parents=True)  # empty already
    emptied = thumb(root, 400, key=new_key("01")).parent
    busy = thumb(root, 1, key=new_key("02")).parent
    foreign = put(root / "03" / "readme.txt", 400 * DAY_S).parent
    (root / "zz").mkdir()  # not one of the cache's sub-folders
    report = tidy(root, now=NOW)
    assert not (root / "ef").exists() and not emptied.exists()
    assert busy.exists() and foreign.exists() and (root / "zz").exists()
    assert report.folders == 2


def test_a_missing_cache_folder_is_fine_and_is_not_made(tmp_path):
    root = tmp_path / "thumbnails"
    report = tidy(root, now=NOW)
    assert report.removed_files == 0 and not root.exists()


def test_files_removed_meanwhile_or_not_removable_are_skipped(tmp_path, monkeypatch):
    root = tmp_path / "thumbnails"
    gone_old, stuck_old = thumb(root, 400), thumb(root, 400, size=40_000)
    lru = [thumb(root, age, size=20_000) for age in (9, 8, 7, 6)]
    real_remove = os.remove

    def racing_remove(path, *args, **kwargs):
        if os.path.basename(path) in (gone_old.name, lru[0].name):
            real_remove(path)  # another program was first
        elif os.path.basename(path) in (stuck_old.name, lru[1].name):
            raise PermissionError(13, "Permission denied", path)
        return real_remove(path, *args, **kwargs)

    monkeypatch.setattr(os, "remove", racing_remove)
    # Room for two of the four recent ones, and the old one that cannot go (it takes space).
    budget = usage(stuck_old) + 2 * usage(lru[3]) + 100
    report = tidy(root, now=NOW, budget_bytes=budget)
    assert not gone_old.exists() and stuck_old.exists()
    # lru[0] went by itself, lru[1] could not go: lru[2] goes in its place; lru[3] is kept.
    assert [p.exists() for p in lru] == [False, True, False, True]
    assert (report.old_files, report.lru_files) == (0, 1)
    assert report.kept_files == 3 and report.kept_bytes <= budget
    assert (root / STAMP_NAME).exists()  # the run ended normally


def test_it_runs_at_most_once_a_day(tmp_path):
    root = tmp_path / "thumbnails"
    thumb(root, 1)
    assert tidy(root, now=NOW).ran
    assert (root / STAMP_NAME).exists()
    old = thumb(root, 400)
    later = tidy(root, now=NOW + 3600)
    assert not later.ran and old.exists()
    assert tidy(root, now=NOW + DAY_S + 1).ran and not old.exists()
    old = thumb(root, 400)
    # A stamp from the future (the clock was set back) does not stop it for good.
    assert tidy(root, now=NOW - 7 * DAY_S).ran and not old.exists()


def test_a_run_stopped_by_closing_leaves_no_stamp(tmp_path):
    root = tmp_path / "thumbnails"
    old = thumb(root, 400)
    stop = threading.Event()
    stop.set()
    report = tidy(root, now=NOW, stop=stop)
    assert report.stopped and old.exists() and not (root / STAMP_NAME).exists()
    assert tidy(root, now=NOW).ran and not old.exists()  # done at the next start


# The housekeeping thread runs at the lowest priority: on a busy machine its wakes come late.
WAIT_MS = 60_000


@pytest.fixture
def running():
    """Start a Housekeeping (the test sets its clock: a start delay of 0 and a short recheck
    interval instead of an hour); stopped at the end."""
    started = []

    def start(root, **kwargs):
        kwargs.setdefault("delay_s", 0.0)
        kwargs.setdefault("recheck_s", 0.01)
        started.append(housekeeping.Housekeeping(root, **kwargs))
        started[-1].start()
        return started[-1]

    yield start
    for each in started:
        each.stop()
        assert each.wait(10)


def test_an_app_left_open_tidies_again_once_a_day(qtbot, tmp_path, running):
    """Housekeeping ran only when the window opened: an app left open for weeks never tidied.
    The thread wakes every `recheck_s` (an hour) and tidies when the stamp says a day passed."""
    root = tmp_path / "thumbnails"
    first = thumb(root, 400, key=new_key("aa"))
    keeper = running(root)
    qtbot.waitUntil(lambda: not first.exists() and keeper.runs >= 1, timeout=WAIT_MS)
    # The tidy ran: its stamp is written once it has ended. (Not keeper.report.ran: on a loaded
    # machine the wakes every 10 ms that follow replace the report before this line reads it.)
    qtbot.waitUntil(lambda: (root / STAMP_NAME).exists(), timeout=WAIT_MS)
    second = thumb(root, 400, key=new_key("bb"))  # old and unused, after the first run
    runs = keeper.runs
    qtbot.waitUntil(lambda: keeper.runs >= runs + 3, timeout=WAIT_MS)
    assert second.exists() and not keeper.report.ran  # woken, but not a day since the last run
    day_ago = time.time() - DAY_S - 60
    (root / STAMP_NAME).write_text(f"{day_ago!r}\n", encoding="ascii")  # a day passes
    qtbot.waitUntil(lambda: not second.exists(), timeout=WAIT_MS)
    # ... and the next day counts from now: the stamp is written once the tidy has ended, a
    # moment after the thumbnail went (reading it at once failed on a loaded machine).
    qtbot.waitUntil(lambda: float((root / STAMP_NAME).read_text()) > day_ago, timeout=WAIT_MS)


def test_housekeeping_waits_while_a_job_needs_the_disk(qtbot, tmp_path, running):
    root = tmp_path / "thumbnails"
    old = thumb(root, 400)
    busy, asked = [True], []

    def job_running() -> bool:
        asked.append(threading.current_thread())
        return busy[0]

    keeper = running(root, busy=job_running)
    qtbot.waitUntil(lambda: len(asked) >= 3, timeout=WAIT_MS)  # three wakes, all during the job
    assert old.exists() and keeper.runs == 0 and not (root / STAMP_NAME).exists()
    assert threading.main_thread() not in asked
    busy[0] = False  # the job ended: the next wake tidies
    qtbot.waitUntil(lambda: not old.exists(), timeout=WAIT_MS)
    assert keeper.wait(WAIT_MS / 1000) and keeper.report.ran


def test_a_cache_hit_marks_an_old_thumbnail_as_used_at_most_once_a_day(qtbot, tmp_path):
    photo = make_photo(tmp_path / "chelsea.jpg", "chelsea", size=(400, 300))
    root = tmp_path / "thumbnails"
    make_thumbnail(str(photo), 64, root)
    key = disk_key(str(photo), os.stat(photo), 64)
    cached = root / key[:2] / f"{key}.jpg"
    first = QImage(str(cached))
    assert not first.isNull()
    long_ago = time.time() - 30 * DAY_S
    os.utime(cached, (long_ago, long_ago))
    assert make_thumbnail(str(photo), 64, root) == first  # a hit: read from the cache
    assert os.stat(cached).st_mtime > time.time() - 60  # and marked as used
    # Used a few hours ago: left alone (one utime a day at most).
    hours_ago = time.time() - 5 * 3600
    os.utime(cached, (hours_ago, hours_ago))
    assert make_thumbnail(str(photo), 64, root) == first
    assert os.stat(cached).st_mtime == pytest.approx(hours_ago, abs=1e-3)


# -- in the window ------------------------------------------------------------------------------
@pytest.fixture
def window_cache():
    """The thumbnail cache of the window to come: an orphan unused for a year, a recent one."""
    root = paths.cache_dir() / "thumbnails"
    now = time.time()
    old = put(root / "5e" / f"{new_key('5e')}.jpg", 365 * DAY_S, now=now)
    recent = put(root / "7a" / f"{new_key('7a')}.jpg", 2 * DAY_S, now=now)
    return root, old, recent


def test_the_window_removes_an_old_orphan_thumbnail_off_the_gui_thread(
        make_window, window_cache, qtbot, monkeypatch):
    _, old, recent = window_cache
    monkeypatch.setattr(housekeeping, "START_DELAY_S", 0.0)
    threads = []
    real_tidy = housekeeping.tidy

    def watched_tidy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_tidy(*args, **kwargs)

    monkeypatch.setattr(housekeeping, "tidy", watched_tidy)
    window = make_window()
    qtbot.waitUntil(lambda: not old.exists(), timeout=15000)
    assert threads and threads[0] is not threading.main_thread()
    assert window.housekeeping.wait(10)
    assert recent.exists() and not old.parent.exists()


def test_the_window_keeps_a_recent_thumbnail(make_window, window_cache, monkeypatch):
    root, old, recent = window_cache
    monkeypatch.setattr(housekeeping, "START_DELAY_S", 0.0)
    window = make_window()
    assert window.housekeeping.wait(15)
    assert window.housekeeping.report.ran
    assert recent.exists() and not old.exists() and (root / STAMP_NAME).exists()


def test_closing_the_window_does_not_wait_for_housekeeping(make_window, window_cache,
                                                           monkeypatch):
    root, old, _ = window_cache
    monkeypatch.setattr(housekeeping, "START_DELAY_S", 0.0)
    inside, release = threading.Event(), threading.Event()
    real_tidy = housekeeping.tidy

    def slow_tidy(*args, **kwargs):  # a cache on a slow disk
        inside.set()
        release.wait(30)
        return real_tidy(*args, **kwargs)

    monkeypatch.setattr(housekeeping, "tidy", slow_tidy)
    window = make_window()
    assert inside.wait(15)
    started = time.monotonic()
    window.close()
    closing = time.monotonic() - started
    release.set()
    assert closing < 5
    assert window.housekeeping.wait(10)
    # Told to stop: it ends without tidying, and leaves the run to the next start.
    assert window.housekeeping.report.stopped
    assert old.exists() and not (root / STAMP_NAME).exists()


def test_the_window_tells_housekeeping_when_a_job_runs(make_window, window_cache, qtbot,
                                                      monkeypatch):
    """The window's housekeeping is busy while the activity line names a job (a walk, photos
    read), so an hourly wake then is skipped; idle again once the job ends."""
    monkeypatch.setattr(housekeeping, "START_DELAY_S", 3600.0)  # no run during the test
    window = make_window()
    qtbot.waitUntil(lambda: not window.housekeeping.busy(), timeout=WAIT_MS)  # start-up jobs
    window.worker.activity.emit("Indexing /photos")
    qtbot.waitUntil(window.housekeeping.busy, timeout=WAIT_MS)
    window.worker.activity.emit("")
    qtbot.waitUntil(lambda: not window.housekeeping.busy(), timeout=WAIT_MS)
