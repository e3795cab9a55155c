"""Which photos were being decoded when Lookalike died: a photo that crashes a decoder (native
code: Pillow, pillow-heif, libjpeg-turbo, LibRaw) must stop Lookalike once, not at every start.

Each process that decodes keeps a journal in the data folder, `decoding-<pid>-<token>.journal`,
locked (flock) for as long as it runs: one slot per photo being decoded now, holding its path,
the thread decoding it and when it began. A slot is written with pwrite, no fsync: the page
cache outlives the process, so a crash loses nothing written. About 6 µs a decode (three small
writes: taking and clearing a slot; measured on a shared 2-core AMD EPYC), where a camera
JPEG's decode for the index takes 10-40 ms. (The file mapped MAP_SHARED would cost no system
call, but a write to a mapped page that finds no room, on a full disk or a full copy-on-write
file system such as btrfs, kills the process with SIGBUS: a full disk crashed `lookalike
similar`. Windows, which has no pwrite, maps it: its blocks are all written when it is made.)
A process that ends normally removes its journal. The next start (`left_by_crashes`) reads the
journals that no process holds (their process died: a process number given again to another
process changes nothing, as the lock is the file's), then removes them. One written before the
computer last started (Linux: its boot id, kept in the header) with no report of a fatal error
(below) blames nothing: the computer stopped under it (a power cut, a reset), and its slots
are whatever the disk had last been given, the photos being decoded then.

Python's faulthandler, when nobody else has turned it on, writes its report of a fatal signal
(SIGSEGV, SIGABRT, SIGBUS...) after the slots: it names the thread that crashed, so of the photos
being decoded at once (the indexer decodes up to eight) only that thread's is blamed. With no
report (killed: the kernel's out-of-memory killer, SIGKILL) or a crash in a thread Python does
not know (a decoder's own worker threads), every photo being decoded is.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import faulthandler
import functools
import inspect
import logging
import mmap
import os
import re
import secrets
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import xxhash

from .errors import PhotoReadError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

log = logging.getLogger(__name__)

SLOTS = 64  # photos decoded at once, at most, that are journalled (more go unjournalled)
SLOT_SIZE = 4096
HEADER_SIZE = 4096
MAGIC = b"Lookalike decoding journal 1\n"
# A slot: the path's length in bytes (0: free), unused, the thread's ident, when the decode
# began, the xxh3-64 digest of the whole path (when it is cut), then the path's bytes.
_LENGTH = struct.Struct("<I")
_EMPTY = _LENGTH.pack(0)
_TAIL = struct.Struct("<QdQ")  # at offset 8
_PATH_AT = 32
PATH_ROOM = SLOT_SIZE - _PATH_AT  # longer paths keep their start, their length and digest
_HEADER = struct.Struct("<32sIIIId")  # magic, slots, slot size, header size, pid, started
_BOOT_AT, _BOOT_ROOM = 64, 64  # in the header: the computer's boot id (b"" where not known)
_BOOT_ID = "/proc/sys/kernel/random/boot_id"  # Linux: a random id, new at each start
# A journal is made under a name readers pass over (.new) until it is locked; one left by a
# process that died making it is removed once it is this old.
NEW_KEPT_S = 60.0
JOURNAL_NAME = re.compile(r"decoding-(\d+)-[0-9a-f]+\.(journal|new)")
_CURRENT_THREAD = re.compile(rb"Current thread (0x[0-9a-fA-F]+)")

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class Crash:
    """A photo that was being decoded when a Lookalike process died."""

    path: str  # the photo's path; only its start when `cut`
    when: float  # when its decode began (seconds since the epoch)
    length: int = 0  # the whole path's length in bytes, when cut
    digest: int = 0  # xxh3-64 of the whole path's bytes, when cut
    # Blamed by a report of the fatal error naming its thread (a decoder's crash, for sure);
    # else the process died with no report (killed for want of memory, or ended by force).
    by_report: bool = False

    @property
    def cut(self) -> bool:
        return self.length > 0

    def is_path(self, path: str) -> bool:
        """Is `path` the photo's path (a cut path: the same start, length and digest)?"""
        if not self.cut:
            return path == self.path
        raw = os.fsencode(path)
        return (len(raw) == self.length and raw.startswith(os.fsencode(self.path))
                and xxhash.xxh3_64_intdigest(raw) == self.digest)

    def shown_path(self) -> str:
        return self.path + "…" if self.cut else self.path

    def error(self, path: str | None = None) -> str:
        """The failed record's message: one sentence naming the photo (`path`: its whole path,
        found in the library, for a cut one), the cause and what to do."""
        return str(PhotoReadError(
            path or self.shown_path(), f"Lookalike stopped while reading this photo on "
            f"{self.date()} ({self.cause()}); it is left out so that it cannot stop "
            "Lookalike again", "Open it in another viewer to check it; re-save or remove it: "
            "it is read again when the file changes" + self.if_killed()))

    def notice(self) -> str:
        """What is said of a photo that could not be recorded (in no library folder: a photo
        searched with; or the library could not be written)."""
        return str(PhotoReadError(
            self.shown_path(), f"Lookalike stopped while reading this photo on {self.date()} "
            f"({self.cause()})", "Open it in another viewer to check it, and re-save it "
            "before Lookalike reads it again"))

    def cause(self) -> str:
        if self.by_report:
            return "its decoder crashed"
        return ("its decoder crashed, or Lookalike was ended by force while reading it, for "
                "want of memory or by a kill")

    def if_killed(self) -> str:
        return ("" if self.by_report else "; if Lookalike was ended by force, Try these photos "
                "again (lookalike index --retry-failed) reads it now")

    def date(self) -> str:
        try:
            return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.when))
        except (OverflowError, OSError, ValueError):  # a slot cut short as it was written
            return "an unknown date"


class Journal:
    """One process's journal: see the module docstring. Use `install` to make the one that
    `images` writes to."""

    def __init__(self, path: Path, fd: int, memory: mmap.mmap | None = None) -> None:
        self.path = path
        self._fd = fd
        self._memory = memory  # Windows, which has no pwrite: the file mapped
        self._free = list(range(SLOTS - 1, -1, -1))
        # Held while a slot is written: the file descriptor is never closed under a write
        # (its number, given to another file, would take the write).
        self._lock = threading.Lock()
        self._faults_reported = False
        self.closed = False

    @classmethod
    def create(cls, folder: str | os.PathLike) -> Journal:
        """A new journal in `folder`, locked before it takes the name readers look at (a
        reader that found it unlocked would take it for a dead process's and remove it), its
        blocks written (no room: OSError now, not a failed write later)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"decoding-{os.getpid()}-{secrets.token_hex(4)}"
        final = folder / f"{name}.journal"
        # Windows cannot rename a file held open: there it is made under its name at once.
        made = final if os.name == "nt" else folder / f"{name}.new"
        fd = os.open(made, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o600)
        memory = None
        try:
            if _lock(fd) is None:
                log.info("%s: this file system has no locks; a journal is judged by its process "
                         "number", folder)
            size = HEADER_SIZE + SLOTS * SLOT_SIZE
            whole = bytearray(size)
            _HEADER.pack_into(whole, 0, MAGIC, SLOTS, SLOT_SIZE, HEADER_SIZE, os.getpid(),
                              time.time())
            boot = _boot_id()[:_BOOT_ROOM]
            whole[_BOOT_AT:_BOOT_AT + len(boot)] = boot
            view = memoryview(whole)
            while view:
                view = view[os.write(fd, view):]
            if not hasattr(os, "pwrite"):
                memory = mmap.mmap(fd, size)
            if made != final:
                os.rename(made, final)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(made)
            raise
        return cls(final, fd, memory)  # faulthandler's report goes at the end, after the slots

    def report_faults(self) -> None:
        """Have faulthandler write its report of a fatal signal into the journal, unless it is
        on already (PYTHONFAULTHANDLER, pytest): that one is left alone."""
        if not faulthandler.is_enabled():
            faulthandler.enable(self._fd, all_threads=True)
            self._faults_reported = True

    @contextlib.contextmanager
    def decoding(self, path: str | os.PathLike) -> Iterator[None]:
        """Journal `path` while the block runs (see also `records_decoding`)."""
        slot = self.enter(path)
        try:
            yield
        finally:
            self.leave(slot)

    def enter(self, path: str | os.PathLike) -> int | None:
        """Write `path` into a free slot; the slot, or None when all are taken or the journal
        cannot be written (the decode goes on, unjournalled)."""
        try:
            raw = os.fsencode(path)
        except TypeError:  # no path (a decoder is given what it is given): not journalled
            return None
        if not os.path.isabs(raw):  # the next start is in another folder: saved whole
            raw = os.path.abspath(raw)
        kept = raw[:PATH_ROOM]
        tail = _TAIL.pack(threading.get_ident(), time.time(),
                          xxhash.xxh3_64_intdigest(raw) if len(raw) > PATH_ROOM else 0)
        with self._lock:
            if self.closed or not self._free:
                return None
            slot = self._free.pop()
            at = HEADER_SIZE + slot * SLOT_SIZE
            try:
                # The length last: a slot read at any moment holds a whole path or none.
                self._write(at + 8, tail + kept)
                self._write(at, _LENGTH.pack(len(raw)))
            except OSError:  # a full copy-on-write file system: cleared, if it can be
                with contextlib.suppress(OSError):
                    self._write(at, _EMPTY)
                    self._free.append(slot)
                return None
        return slot

    def leave(self, slot: int | None) -> None:
        if slot is None:
            return
        with self._lock:
            if self.closed:
                return
            try:
                self._write(HEADER_SIZE + slot * SLOT_SIZE, _EMPTY)
            except OSError:  # not cleared (a full disk): never used again
                log.debug("slot %d of %s could not be cleared", slot, self.path)
                return
            self._free.append(slot)

    def _write(self, at: int, data: bytes) -> None:
        # Into the page cache, which outlives this process (a crash loses nothing written).
        if self._memory is None:
            os.pwrite(self._fd, data, at)
        else:
            self._memory[at:at + len(data)] = data

    def close(self) -> None:
        """Remove the journal: this process ends, or stops decoding, on purpose. Removed before
        its lock goes, so no reader finds it unlocked with a slot still in use."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            if self._faults_reported:
                faulthandler.disable()
            try:
                os.unlink(self.path)
            except OSError:  # Windows: not while it is open
                pass
            if self._memory is not None:
                self._memory.close()
            os.close(self._fd)
            if os.path.lexists(self.path):
                with contextlib.suppress(OSError):
                    os.unlink(self.path)

    def discard(self) -> None:
        """Remove the journal's file at once, taking no lock: from a signal handler, just
        before this process ends on purpose (the handler may run inside `enter`)."""
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def forget_in_child(self) -> None:
        """After a fork: the child's decodes are not this process's, and its copy of the file
        descriptor must not keep the lock once this process dies. (No lock taken: another
        thread of the parent may have held it at the fork.)"""
        self.closed = True
        if self._faults_reported:
            faulthandler.disable()
        with contextlib.suppress(OSError):
            os.close(self._fd)


class _ThreadState(threading.local):
    decoding = False  # a decode inside a decode (a raw's embedded JPEG) is the same photo


_installed: Journal | None = None
_this_thread = _ThreadState()


def install(folder: str | os.PathLike) -> Journal | None:
    """Start this process's journal in `folder` (the data folder) and have `images` write to
    it. None, logged, where it cannot be made (a read-only data folder): photos are decoded as
    before, unjournalled."""
    global _installed
    if _installed is not None:
        return _installed
    try:
        journal = Journal.create(folder)
    except OSError as exc:
        # Said in the log only: a read-only data folder is read from on purpose (`similar`).
        log.info("cannot keep the journal of the photos being decoded in %s (%s): a photo "
                 "that crashes Lookalike would not be left out afterwards", folder, exc)
        return None
    journal.report_faults()
    _installed = journal
    return journal


def uninstall() -> None:
    """Stop journalling and remove the journal (this process ends on purpose)."""
    global _installed
    journal, _installed = _installed, None
    if journal is not None:
        journal.close()


def installed() -> Journal | None:
    return _installed


def discard() -> None:
    """Remove this process's journal from a signal handler that ends the process on purpose
    (see Journal.discard)."""
    journal = _installed
    if journal is not None:
        journal.discard()


def discard_on_signals(*signums: int) -> Callable[[], None]:
    """Each of `signums` left to end this process (its default action: not ignored, as under
    `nohup`, nor handled) removes the journal first, then ends it as before: a terminal closed
    (SIGHUP), `kill`, Ctrl-\\ stop it on purpose, not a decoder on the photos it was reading.
    Returns what puts the signals back. Outside the main thread (which alone handles signals)
    it does nothing."""
    def ended(signum, frame) -> None:
        discard()  # no lock: this may run inside a decode's journal write
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # ended by the signal, as without this handler

    taken = {}
    for signum in signums:
        try:
            if signal.getsignal(signum) is signal.SIG_DFL:
                taken[signum] = signal.signal(signum, ended)
        except ValueError:  # not the main thread
            break

    def undo() -> None:
        for signum, earlier in taken.items():
            if signal.getsignal(signum) is ended:
                signal.signal(signum, earlier)

    return undo


def _forget_in_child() -> None:
    global _installed
    journal, _installed = _installed, None
    if journal is not None:
        journal.forget_in_child()


atexit.register(uninstall)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def records_decoding(func: F) -> F:
    """Journal the call's `path` argument while `func` runs, when a journal is installed."""
    at = list(inspect.signature(func).parameters).index("path")

    @functools.wraps(func)
    def journalled(*args, **kwargs):
        journal = _installed
        if journal is None or _this_thread.decoding:
            return func(*args, **kwargs)
        slot = journal.enter(args[at] if len(args) > at else kwargs["path"])
        _this_thread.decoding = True
        try:
            return func(*args, **kwargs)
        finally:
            _this_thread.decoding = False
            journal.leave(slot)

    return journalled  # type: ignore[return-value]


# -- after a crash -----------------------------------------------------------------------------
def left_by_crashes(folder: str | os.PathLike) -> list[Crash]:
    """The photos that dead processes' journals in `folder` name (see the module docstring),
    each once, oldest first; those journals are removed. A journal a live process holds (this
    one's too) is left alone."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:  # no data folder yet: nothing ran here
        return []
    crashes: dict[tuple, Crash] = {}
    for name in names:
        found = JOURNAL_NAME.fullmatch(name)
        if found is None or (found[2] == "new" and _younger_than(Path(folder) / name, NEW_KEPT_S)):
            continue
        data = _take_dead(Path(folder) / name, int(found[1]))
        if data is None or found[2] != "journal":  # one never named: made, not used
            continue
        for crash in read_journal(data, Path(folder) / name):
            crashes.setdefault((crash.path, crash.length, crash.digest), crash)
    return sorted(crashes.values(), key=lambda c: c.when)


def _younger_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - os.stat(path).st_mtime < seconds
    except OSError:
        return True


def _take_dead(path: Path, pid: int) -> bytes | None:
    """The contents of the journal at `path` if its process is dead, the file removed; else
    None."""
    fd = None
    # An exclusive lock on NFS needs the file open for writing (flock is fcntl's there).
    for flags in (os.O_RDWR, os.O_RDONLY):
        try:
            fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
            break
        except FileNotFoundError:
            return None
        except OSError:
            continue
    if fd is None:
        return None
    try:
        locked = _lock(fd)
        if locked is False or (locked is None and _process_running(pid)):
            return None
        try:
            held, there = os.fstat(fd), os.stat(path)
        except OSError:
            return None
        if (held.st_dev, held.st_ino) != (there.st_dev, there.st_ino):
            return None  # removed by another reader, another file made at the name since
        os.lseek(fd, 0, os.SEEK_SET)
        parts = []
        while part := os.read(fd, 1 << 20):
            parts.append(part)
    finally:
        os.close(fd)
    # Removed once closed: Windows removes no open file (it was kept, and said at every start).
    # Of two readers that both read it, the one that removes it takes it.
    try:
        os.unlink(path)
    except FileNotFoundError:
        return None  # another reader took it first
    except OSError as exc:  # kept: read again next time (said again)
        log.warning("cannot remove %s (%s)", path, exc)
    return b"".join(parts)


def read_journal(data: bytes, path: str | os.PathLike = "") -> list[Crash]:
    """The photos a journal's contents (`data`, read from `path`) blame, as the journal of a
    dead process (see the module docstring)."""
    try:
        magic, slots, slot_size, header_size, _pid, _started = _HEADER.unpack_from(data)
    except struct.error:
        return []
    end = header_size + slots * slot_size
    if magic.rstrip(b"\0") != MAGIC or slot_size <= _PATH_AT or len(data) < end:
        log.warning("%s: not a journal this version of Lookalike can read; removed", path)
        return []
    found: list[tuple[int, Crash]] = []
    for slot in range(slots):
        at = header_size + slot * slot_size
        (length,) = _LENGTH.unpack_from(data, at)
        if length == 0:
            continue
        thread, when, digest = _TAIL.unpack_from(data, at + 8)
        room = slot_size - _PATH_AT
        raw = data[at + _PATH_AT:at + _PATH_AT + min(length, room)]
        if b"\0" in raw:  # no path holds one: a slot torn or not Lookalike's
            continue
        cut = length > room
        found.append((thread, Crash(os.fsdecode(raw), when, length if cut else 0,
                                    digest if cut else 0)))
    report = data[end:]
    if report.strip(b"\0"):  # for a bug report: the app's log keeps it
        log.info("%s: the report of the fatal error that ended that Lookalike:\n%s", path,
                 report.decode("utf-8", "replace").strip())
    current = _CURRENT_THREAD.search(report)
    boot, now = data[_BOOT_AT:_BOOT_AT + _BOOT_ROOM].rstrip(b"\0"), _boot_id()
    if not report.strip(b"\0") and boot and now and boot != now:
        # No fatal error, and its process ran when the computer stopped (or on another
        # computer, a home on a share): a power cut or a reset is no decoder's crash.
        log.info("%s: left by a Lookalike that was running when the computer stopped; it "
                 "blames no photo", path)
        return []
    if current is not None:
        # The crash was in a thread Python knows: only its photo is to blame, if it decoded one.
        crashed = int(current[1], 16)
        return [replace(crash, by_report=True) for thread, crash in found if thread == crashed]
    return [crash for _thread, crash in found]


def _lock(fd: int) -> bool | None:
    """Take the journal's lock without waiting: True, taken; False, another process holds it;
    None, this file system has no locks (nothing can be told by it)."""
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EDEADLK):  # msvcrt's and some NFS' "held"
            return False
        return None
    return True


def _boot_id() -> bytes:
    """This computer's boot id (Linux), new at each start; b"" where it cannot be told."""
    try:
        with open(_BOOT_ID, "rb") as file:
            return file.read(_BOOT_ROOM).strip()
    except OSError:
        return b""


def _process_running(pid: int) -> bool:
    """Is there a process `pid`? (Only where locks cannot tell; unsure: yes.)"""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether it exists
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:
        return True
    return True

