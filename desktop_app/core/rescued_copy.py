"""Copies of the library left by a Lookalike that stopped while it put the library back.

When another program deletes the library file while a Lookalike has it open, Store._put_back
copies the library that Lookalike still has to `library.sqlite3.rescued-PID` beside it, then
renames the copy into place. A crash or power loss between the two leaves only the copy, and
the next start would make a new, empty library: the user's index would look lost. So every
open looks for such copies of processes not running now (take_in; a process that has the
number now but started after the copy was written is another one): with no library file, the
newest whole one is put in place; with one, each copy is said, with what to do (the copy may
hold photos the library now there lacks, or be an old copy nobody needs: only the user knows).
Two opens at once (the window and a `lookalike` command) take a copy in one after the other (a
lock on its file): the second finds it gone, put in place by the first, and says nothing of it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import stat
from pathlib import Path

from .errors import LookalikeError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

log = logging.getLogger(__name__)

_MARK = ".rescued-"
# A process started this long after a copy was last written cannot be the one that wrote it:
# the margin covers mtimes kept in 2 s steps (FAT) and a boot time read in whole seconds.
STARTED_AFTER_S = 3.0
# FILETIME (Windows: 100 ns steps since 1601-01-01) of the Unix epoch.
_EPOCH_AS_FILETIME = 116_444_736_000_000_000


def copy_path(database: Path, pid: int) -> Path:
    """Where process `pid` copies the library `database` (a resolved path) when it puts it
    back."""
    return database.with_name(f"{database.name}{_MARK}{pid}")


def take_in(database: Path, may_write: bool) -> list[str]:
    """Deal with the copies left beside `database` (see the module docstring); returns one
    message for the user per copy still there that they need to know of. `may_write` False (a
    read-only open): nothing is moved or deleted, only said."""
    target = Path(os.path.realpath(database))  # a symbolic link: its file, as _put_back copies
    notices = []
    for copy, pid in _left_behind(target):
        release = _hold(copy, may_write)
        if release is None:  # put in place (or removed) meanwhile by another Lookalike
            continue
        try:
            if may_write and _same_file(copy, target):
                # Stopped between the hard link that put it in place and the removal of its
                # old name (move_unless_taken): only that name is left to remove.
                os.unlink(copy)
                log.info("%s: removed, a second name of the library file left there", copy)
                continue
            why_not = _not_whole(copy)
            if why_not is not None:
                notices.append(str(LookalikeError(
                    copy, "this is an unfinished copy of the library, left by a Lookalike "
                    f"(process {pid}) that stopped while it was writing the library back after "
                    f"another program had deleted it ({why_not})", "Nothing in it can be used: "
                    f"delete it (and any {copy.name}-journal beside it)")))
            elif may_write and not os.path.lexists(target):
                _put_in_place(copy, target)
                log.warning("%s was missing: it was put back from %s, the library a Lookalike "
                            "(process %s) that stopped (a crash or power loss?) had written "
                            "back after another program deleted the library file while it "
                            "ran; nothing that Lookalike had saved was lost",
                            target, copy.name, pid)
            elif not os.path.lexists(target):  # read-only: put in place by the next writer
                notices.append(str(LookalikeError(
                    copy, f"this copy of the library was kept by a Lookalike (process {pid}) "
                    "when another program deleted the library file while it ran, and that "
                    "Lookalike stopped before putting it in place; this one may not write "
                    "there", "Open the library once where its folder can be written, or close "
                    f"every Lookalike and rename {copy.name} to {target.name}")))
            else:
                notices.append(str(LookalikeError(
                    copy, f"this copy of the library was kept by a Lookalike (process {pid}) "
                    "when another program deleted or replaced the library file while it ran, "
                    "and that Lookalike stopped before putting it in place, so the library "
                    f"now in {target.name} may lack folders and photos the copy has", "To use "
                    f"the copy, close every Lookalike, move {target.name} aside (with any "
                    f"{target.name}-wal and -shm beside it) and rename {copy.name} to "
                    f"{target.name}; if the library now there has everything, delete "
                    f"{copy.name}")))
        except OSError as exc:  # left as it is: the next start looks again
            notices.append(str(LookalikeError(
                copy, f"this copy of the library, kept by a Lookalike (process {pid}) when "
                "another program deleted the library file while it ran, could not be put in "
                f"place ({exc.strerror or exc})", f"Close every Lookalike and rename it to "
                f"{target.name} yourself")))
        finally:
            release()
    for notice in notices:
        log.warning("%s", notice)
    return notices


def _left_behind(target: Path) -> list[tuple[Path, int]]:
    """(copy, pid) of each copy of `target` made by a process not running now, newest
    first. A process on another computer (a library on a share) may hold a number running
    here or not: it is judged as one of this computer's (and the copy's mtime, from the
    share's clock, against this one's)."""
    prefix = target.name + _MARK
    try:
        names = [n for n in os.listdir(target.parent) if n.startswith(prefix)]
    except OSError:  # no folder yet (a first start), or none to read: nothing left there
        return []
    found = []
    for name in names:
        number = name[len(prefix):]
        # A process number fits 32 bits (a longer one, made by hand, overflowed os.kill and
        # failed every open of the library).
        if not (number.isascii() and number.isdigit() and int(number) < 1 << 32):
            continue
        copy = target.with_name(name)
        try:
            st = os.stat(copy)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and not _writer_running(int(number), st.st_mtime):
            found.append((st.st_mtime_ns, copy, int(number)))
    return [(copy, pid) for _, copy, pid in sorted(found, reverse=True)]


def _hold(copy: Path, may_write: bool):
    """Wait until no other Lookalike is taking `copy` in, and keep them out until the returned
    release() is called: an exclusive lock on its file (flock; the hard link and unlink that put
    it in place keep it, being the file's). None: `copy` is no longer at its name (another
    Lookalike put it in place or removed it while this one waited: that one said so). Opened
    to write only where `may_write` (and then only to lock it: nothing is written)."""
    if fcntl is None:  # Windows: a file held open there could not be renamed nor removed
        return lambda: None
    fd = None
    # An exclusive lock on NFS needs the file open for writing (flock is fcntl's there).
    for flags in (os.O_RDWR, os.O_RDONLY) if may_write else (os.O_RDONLY,):
        try:
            fd = os.open(copy, flags)
            break
        except FileNotFoundError:
            return None
        except OSError:
            continue
    if fd is None:  # cannot be opened (permissions): looked at unlocked, as it can be
        return lambda: None
    try:
        with contextlib.suppress(OSError):  # no locks on this file system: looked at unlocked
            fcntl.flock(fd, fcntl.LOCK_EX)
        held, now = os.fstat(fd), os.stat(copy)
    except FileNotFoundError:
        os.close(fd)
        return None
    except OSError:
        return lambda: os.close(fd)
    if (held.st_dev, held.st_ino) != (now.st_dev, now.st_ino):  # another file by that name
        os.close(fd)
        return None
    return lambda: os.close(fd)


def _writer_running(pid: int, written: float) -> bool:
    """May the process that wrote a copy last at `written` (its mtime), number `pid`, be
    running now? Not when no process has that number, nor when the one that has it started
    after that: the number was taken again (soon after a reboot, where numbers start again
    low, and on Windows, which reuses them quickly), and the copy would be passed over for as
    long as that process runs, the user given a new empty library meanwhile."""
    if not _running(pid):
        return False
    started = _started_at(pid)
    return started is None or started <= written + STARTED_AFTER_S


def _started_at(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), or None where not known. Linux:
    /proc; Windows: GetProcessTimes. macOS would need sysctl's kinfo_proc through ctypes or a
    `ps` run at each open: not done, so there a running number is taken as the writer's."""
    if os.name == "nt":
        return _started_at_windows(pid)
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read()
        with open("/proc/stat", "rb") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith(b"btime "))
        # The name (field 2) is in brackets and may hold spaces and ")": count after the last.
        ticks = int(fields[fields.rindex(b")") + 2:].split()[19])  # field 22, starttime
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):  # not Linux, or the process ended
        return None


def _started_at_windows(pid: int) -> float | None:
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return None
    try:
        times = [wintypes.FILETIME() for _ in range(4)]  # creation, exit, kernel, user
        if not kernel32.GetProcessTimes(handle, *(ctypes.byref(t) for t in times)):
            return None
        return filetime_to_epoch(times[0].dwHighDateTime << 32 | times[0].dwLowDateTime)
    finally:
        kernel32.CloseHandle(handle)


def filetime_to_epoch(filetime: int) -> float:
    """A Windows FILETIME (100 ns steps since 1601) as seconds since the Unix epoch."""
    return (filetime - _EPOCH_AS_FILETIME) / 10_000_000


def _running(pid: int) -> bool:
    """Is there a process `pid` now? (Which one: see _writer_running.)"""
    if pid == os.getpid():
        return True
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: another user's
        try:
            code = ctypes.c_ulong()
            return not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)) or (
                code.value == 259)  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether it exists
    except (ProcessLookupError, OverflowError):  # beyond pid_t: no process has it
        return False
    except PermissionError:  # another user's process
        return True
    except OSError:
        return True  # not known: left alone
    return True


def _same_file(copy: Path, target: Path) -> bool:
    try:
        return os.path.samefile(copy, target)
    except OSError:  # no file at `target`
        return False


def _not_whole(copy: Path) -> str | None:
    """Why `copy` is not a whole library database of Lookalike's, or None if it is. Read as it
    is on the disk (immutable: nothing written beside it), since no process writes it."""
    from .store import sqlite_uri

    journal = copy.with_name(copy.name + "-journal")
    with contextlib.suppress(OSError):
        if journal.stat().st_size > 0:  # SQLite's backup into it stopped before its commit
            return f"{journal.name} beside it is the journal of a write that never finished"
    uri = sqlite_uri(Path(os.path.abspath(copy))) + "?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        return f"SQLite cannot open it: {exc}"
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            return f"SQLite finds it damaged: {check}"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted({"meta", "migrations", "folders", "photos", "models", "codes"} - tables)
        if missing:
            return f"it lacks the table{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        first = conn.execute("SELECT name FROM migrations WHERE version = 1").fetchone()
        if first is None or first[0] != "001_initial":
            return "its migrations table is not a Lookalike library's"
    except sqlite3.Error as exc:
        return f"SQLite cannot read it: {exc}"
    finally:
        conn.close()
    return None


def _put_in_place(copy: Path, target: Path) -> None:
    """Rename the whole copy to the library's name, never over a file put there meanwhile.
    Files left at that name by the deleted library (its -wal, -shm or -journal) go first: a
    database put there would read them as its own."""
    for end in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target.with_name(target.name + end))
    move_unless_taken(copy, target)


def move_unless_taken(source: Path, target: Path) -> None:
    """Rename `source` to `target`, never over a file another program put there meanwhile
    (FileExistsError): a hard link then the source removed, or where the file system has no
    hard links (FAT, some shares) a rename after a last look."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
        os.replace(source, target)
        return
    os.unlink(source)
