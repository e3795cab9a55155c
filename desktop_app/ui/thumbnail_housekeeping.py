"""Housekeeping for the disk cache of thumbnails (ui/thumbnails.py), so it does not grow forever.

Every photo deleted, renamed or edited, every change of the thumbnail size, leaves a thumbnail
that nothing will ask for again. A cache hit sets the file's mtime to now (at most once a day:
`note_used`), so the mtime says when a thumbnail was last used (atime is no use: noatime and
relatime mounts). At most once a day (a stamp file in the cache folder), a daemon thread started
with the window (`start_housekeeping`; it looks again every hour while the window stays open, and
waits while a job needs the disk) removes thumbnails unused for MAX_AGE_DAYS, then the least
recently used ones while the cache is over BUDGET_BYTES, temporary files left by an interrupted
atomic write (atomic_file.py) older than TEMP_AGE_S, and empty sub-folders. It says what it did in
the log, never in the window.

Only the cache's own files are removed: `<2 hex digits>/<32 hex digits>.jpg`, the key starting
with the sub-folder's name, and the atomic writer's `.<key>-<random>.tmp` beside them. Symlinks
are never followed nor removed; a file that goes away meanwhile or cannot be removed (another
program, permissions) is skipped. The folder is walked with os.scandir, one lstat per file.
No Qt here.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..atomic_file import write_bytes_atomic
from .background import lower_this_thread

log = logging.getLogger(__name__)

DAY_S = 24 * 3600
# Unused this long, a thumbnail is for a photo gone, changed or not looked at in a season: made
# again (a few ms) if it is ever wanted. GNOME's housekeeping keeps thumbnails 180 days by default.
MAX_AGE_DAYS = 90
MAX_AGE_S = MAX_AGE_DAYS * DAY_S
# The disk space (allocated blocks, as `du` counts) the cache may keep after a run. Thumbnails
# are JPEGs at quality 85 of `thumbnail_size` pixels (16-1024, default 160) times the screen's
# scale: about 5 KB at 160 px (8 KB on disk in 4 KB blocks), 15 KB at 320 px (the default on a
# HiDPI screen), 80-250 KB at 1024 px. 1 GiB thus holds about 130,000 thumbnails at the default
# size (65,000 on a HiDPI screen, 4,000-13,000 at 1024 px): more than anyone scrolls through
# regularly, for a cache a user would not be surprised by (GNOME's default budget is 512 MB).
BUDGET_BYTES = 1 << 30
# An atomic write in progress lasts milliseconds; one an hour old was cut short (a crash).
TEMP_AGE_S = 3600
# Housekeeping runs at most this often (a walk of a 200,000-file cache is a few seconds of disk).
INTERVAL_S = DAY_S
# A cache hit refreshes a thumbnail's mtime only when it is older than this: one utime a day at
# most per thumbnail, and the age policy above needs no finer clock.
TOUCH_AFTER_S = DAY_S
# After the window opens: the first thumbnails and the library's own start come first.
START_DELAY_S = 10.0
# While the window stays open (for weeks), the thread wakes this often and runs tidy() when it
# is due: the stamp, not this clock, keeps it to once a day (also across windows and restarts).
RECHECK_S = 3600.0
STAMP_NAME = ".housekeeping"  # holds the time of the last complete run

_SUBFOLDER = re.compile(r"[0-9a-f]{2}")
_THUMBNAIL = re.compile(r"[0-9a-f]{32}\.jpg")
_TEMPORARY = re.compile(r"\.[0-9a-f]{32}-[a-z0-9_]+\.tmp")  # tempfile.mkstemp in atomic_file


def note_used(path: str, st: os.stat_result, now: float | None = None) -> None:
    """A cache hit on `path` (lstat `st`): mark it used, if its mtime is older than a day, or
    in the future (made while the clock was ahead: left so, it would outlast every thumbnail
    used since, as the most recently used, for as long as the clock was wrong)."""
    now = time.time() if now is None else now
    if 0 <= now - st.st_mtime <= TOUCH_AFTER_S or not stat.S_ISREG(st.st_mode):
        return
    try:
        os.utime(path)
    except OSError as exc:  # a read-only cache: it may then be tidied a little early
        log.debug("thumbnail cache: could not mark %s as used (%s)", path, exc)


@dataclass
class Report:
    ran: bool = False  # False: the last run was less than INTERVAL_S ago
    stopped: bool = False  # the app closed before the end (no stamp written: again next time)
    old_files: int = 0  # unused for more than max_age_s
    old_bytes: int = 0
    lru_files: int = 0  # least recently used, over the budget
    lru_bytes: int = 0
    temp_files: int = 0
    temp_bytes: int = 0
    folders: int = 0  # empty sub-folders removed
    kept_files: int = 0
    kept_bytes: int = 0

    @property
    def removed_files(self) -> int:
        return self.old_files + self.lru_files + self.temp_files

    @property
    def freed_bytes(self) -> int:
        return self.old_bytes + self.lru_bytes + self.temp_bytes


def _usage(st: os.stat_result) -> int:
    """Disk space taken: allocated blocks where the platform says (a 5 KB file takes 8 KB)."""
    blocks = getattr(st, "st_blocks", None)
    return blocks * 512 if blocks is not None else st.st_size


REMOVED, GONE, KEPT = "removed", "gone", "kept"


def _remove(path: str) -> str:
    try:
        os.remove(path)
        return REMOVED
    except FileNotFoundError:  # removed meanwhile (another window on this cache, the user)
        log.debug("thumbnail cache: %s was already gone", path)
        return GONE
    except OSError as exc:  # permissions, a file in use (Windows), a read-only disk
        log.debug("thumbnail cache: could not remove %s (%s)", path, exc)
        return KEPT


def _due(stamp: str, now: float, interval_s: float) -> bool:
    try:
        with open(stamp, encoding="ascii") as f:
            last = float(f.read(64).strip())
    except (OSError, ValueError):  # never run, or a stamp that cannot be read: run
        return True
    return not 0 <= now - last < interval_s  # a stamp in the future (clock set back): run


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"


def _subfolders(root: str) -> list[str]:
    names = []
    with os.scandir(root) as entries:
        for entry in entries:
            try:
                if _SUBFOLDER.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                    names.append(entry.name)
            except OSError:
                continue
    return sorted(names)


def tidy(root: str | os.PathLike, now: float | None = None, max_age_s: float = MAX_AGE_S,
         budget_bytes: int = BUDGET_BYTES, temp_age_s: float = TEMP_AGE_S,
         interval_s: float = INTERVAL_S, stop: threading.Event | None = None) -> Report:
    """One housekeeping run over the thumbnail cache folder `root` (see the module's doc), unless
    the last one was less than `interval_s` ago. Never raises OSError; a missing folder is fine."""
    now = time.time() if now is None else now
    root = os.fspath(root)
    stamp = os.path.join(root, STAMP_NAME)
    report = Report()
    if not _due(stamp, now, interval_s):
        return report
    report.ran = True
    try:
        subfolders = _subfolders(root)
    except FileNotFoundError:  # no thumbnail made yet: nothing to do, no folder to make
        return report
    except OSError as exc:
        log.debug("thumbnail cache: cannot list %s (%s)", root, exc)
        return report
    kept: list[tuple[float, int, str]] = []  # (mtime, disk usage, name) of each kept thumbnail
    left: dict[str, int] = {}  # entries left in each sub-folder listed to the end
    stuck_files = stuck_bytes = 0  # due to go but could not be removed
    for sub in subfolders:
        if stop is not None and stop.is_set():
            report.stopped = True
            return report
        folder = os.path.join(root, sub)
        count = 0
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    count += 1
                    name = entry.name
                    if _THUMBNAIL.fullmatch(name) and name.startswith(sub):
                        temporary = False
                    elif _TEMPORARY.fullmatch(name) and name.startswith(sub, 1):
                        temporary = True
                    else:
                        continue
                    try:
                        if not entry.is_file(follow_symlinks=False):
                            continue
                        st = entry.stat(follow_symlinks=False)
                    except OSError:  # gone meanwhile
                        continue
                    age = now - st.st_mtime
                    if temporary and age <= temp_age_s:
                        continue
                    if not temporary and age <= max_age_s:
                        # In the future: made while the clock was ahead and not used since it
                        # came back (note_used stamps a hit with now), so least recently used.
                        kept.append((st.st_mtime if age >= 0 else 0.0, _usage(st), name))
                        continue
                    outcome = _remove(entry.path)
                    if outcome == KEPT:  # it still takes space
                        stuck_files += 1
                        stuck_bytes += _usage(st)
                    else:
                        count -= 1
                    if outcome == REMOVED and temporary:
                        report.temp_files += 1
                        report.temp_bytes += _usage(st)
                    elif outcome == REMOVED:
                        report.old_files += 1
                        report.old_bytes += _usage(st)
        except OSError as exc:  # the sub-folder went away or cannot be read: left as it is
            log.debug("thumbnail cache: cannot list %s (%s)", folder, exc)
            continue
        left[sub] = count
    total = stuck_bytes + sum(usage for _, usage, _ in kept)
    if total > budget_bytes:
        kept.sort()  # least recently used first
        for position, (_, usage, name) in enumerate(kept):
            if total <= budget_bytes:
                break
            if stop is not None and stop.is_set():
                report.stopped = True
                return report
            outcome = _remove(os.path.join(root, name[:2], name))
            if outcome == KEPT:
                continue
            if outcome == REMOVED:
                report.lru_files += 1
                report.lru_bytes += usage
            total -= usage  # a file gone meanwhile takes no space either
            if name[:2] in left:
                left[name[:2]] -= 1
            kept[position] = (0.0, 0, "")
    report.kept_files = stuck_files + sum(1 for _, _, name in kept if name)
    report.kept_bytes = total
    for sub, count in left.items():
        if count <= 0:
            try:
                os.rmdir(os.path.join(root, sub))  # fails, as it should, if a file came in
                report.folders += 1
            except OSError as exc:
                log.debug("thumbnail cache: sub-folder %s kept (%s)", sub, exc)
    try:
        write_bytes_atomic(Path(stamp), f"{now!r}\n".encode("ascii"), durable=False)
    except OSError as exc:  # a read-only cache: then it runs at every start, as cheap as that is
        log.debug("thumbnail cache: housekeeping stamp not written (%s)", exc)
    log.info("thumbnail cache %s: removed %d file(s), %s freed (%d unused for %d days, %d over "
             "the %s budget, %d temporary), %d empty sub-folder(s); %d thumbnail(s) kept, %s",
             root, report.removed_files, _mib(report.freed_bytes), report.old_files,
             round(max_age_s / DAY_S), report.lru_files, _mib(budget_bytes), report.temp_files,
             report.folders, report.kept_files, _mib(report.kept_bytes))
    return report


class Housekeeping:
    """`tidy(root)` on a daemon thread after `delay_s`, then again every `recheck_s` while the
    window stays open (tidy itself runs at most once a day); a wake while `busy()` is true (a
    job reading or writing much of the disk: called on this thread, so it must only read a
    flag) is skipped, until the next one. `stop()` never waits (closing the window is never
    held up: a run cut short is done again at the next start)."""

    def __init__(self, root: Path, delay_s: float | None = None, recheck_s: float | None = None,
                 busy: Callable[[], bool] | None = None) -> None:
        self.root = root
        self.delay_s = START_DELAY_S if delay_s is None else delay_s
        self.recheck_s = RECHECK_S if recheck_s is None else recheck_s
        self.busy = busy
        self.report: Report | None = None  # of the last tidy() call
        self.runs = 0  # tidy() calls so far (each may find it not due yet: report.ran)
        self._stop = threading.Event()
        self._ran = threading.Event()
        self._thread = threading.Thread(target=self._run, name="thumbnail-housekeeping",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def wait(self, seconds: float) -> bool:
        """For tests: True once a tidy() call has ended (or the thread has, being stopped)."""
        return self._ran.wait(seconds)

    def _run(self) -> None:
        lower_this_thread()
        delay = self.delay_s
        while not self._stop.wait(delay):
            delay = self.recheck_s
            try:
                if self.busy is not None and self.busy():
                    log.debug("thumbnail cache housekeeping: a job needs the disk; later")
                    continue
                self.report = tidy(self.root, stop=self._stop)
            except Exception:  # a bug here must not go unseen, nor take anything else down
                log.exception("thumbnail cache housekeeping failed")
            self.runs += 1
            self._ran.set()
        self._ran.set()


def start_housekeeping(root: Path | None,
                       busy: Callable[[], bool] | None = None) -> Housekeeping | None:
    """Start housekeeping of the thumbnail cache at `root` (None: no disk cache, nothing);
    `busy` says when a job needs the disk (see Housekeeping)."""
    if root is None:
        return None
    housekeeping = Housekeeping(root, busy=busy)
    housekeeping.start()
    return housekeeping
