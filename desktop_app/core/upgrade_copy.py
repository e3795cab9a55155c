"""The copy of the library kept before a migration changes its database schema.

An earlier Lookalike refuses a library of a newer schema, so a user who goes back to it (or
meets a migration that went wrong) needs the file as it was. The copy lies beside the library,
named for the schema it has: `library.sqlite3.schema-1.bak` is what the versions that know up to
schema 1 open. One is kept per schema version: a later upgrade from the same schema replaces it
with the newer state, and the copies of other schemas stay (each is the way back to other
versions; deleting one is the user's call).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path

from .errors import StoreError

log = logging.getLogger(__name__)

_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
# Room needed beyond the copy's own size: its rollback journal while it is written, then the
# migration's WAL (with only the copy's size free, the copy failed and the message said
# "needs 0.1 MB, and 0.1 MB is free").
ROOM_TO_SPARE = 1 << 20


def copy_path(database: Path, version: int) -> Path:
    """Where the copy of `database` at schema `version` is kept."""
    return database.with_name(f"{database.name}.schema-{version}.bak")


def keep_copy(database: Path, version: int, to_version: int) -> Path:
    """Copy `database` (at schema `version`) to copy_path(), whole or not at all: SQLite's
    online backup API (it reads through the WAL, so the copy is the library as committed)
    writes a temporary name, renamed once complete. The caller holds the write lock, so nothing
    changes meanwhile; the backup reads through a connection of its own, since SQLite refuses
    to back up from a connection that holds a write transaction. Raises StoreError, having
    written nothing, when the copy cannot be made."""
    target = copy_path(database, version)
    partial = target.with_name(target.name + ".partial")
    start = time.perf_counter()
    # Opened by its path as the library's own connection is, not by the file: URI of its resolved
    # path: on Windows a mapped network drive resolves to \\server\share, whose URI has an
    # authority SQLite refuses ("invalid uri authority"). query_only: it only reads.
    source = sqlite3.connect(database)
    try:
        source.execute("PRAGMA query_only = ON")
        page_count, page_size = (source.execute(f"PRAGMA {name}").fetchone()[0]
                                 for name in ("page_count", "page_size"))
        size = page_count * page_size
        free = _free_space(database.parent)
        if free is not None and free < size + ROOM_TO_SPARE:
            raise _no_space(database, target, size + ROOM_TO_SPARE, free, to_version)
        try:
            with open(partial, "wb"):  # an unwritable folder is said in the system's words
                pass
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
            finally:
                copy.close()
            _sync(partial)
            os.replace(partial, target)  # a crash before this leaves only the .partial name
            _sync(target.parent)
        except (OSError, sqlite3.Error) as exc:
            with contextlib.suppress(OSError):
                partial.unlink()
            free = _free_space(database.parent)
            if _is_no_space(exc) or (free is not None and free < size + ROOM_TO_SPARE):
                raise _no_space(database, target, size + ROOM_TO_SPARE, free,
                                to_version) from exc
            cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise StoreError(database, f"the library was not upgraded to database schema "
                             f"{to_version}: a copy of it as it is ({target.name}, "
                             f"{_mb(size)}) is made beside it first, and it could not be "
                             f"written ({cause}; nothing was changed)",
                             "Check that its folder is writable, its free space and any file "
                             "size limit (ulimit -f), then run it again") from exc
    finally:
        source.close()
    log.info("Kept a copy of the library at database schema %d as %s (%s, in %.1f s) before "
             "upgrading it to schema %d; to go back to a version that knows up to schema %d, "
             "put it in place of %s", version, target, _mb(size), time.perf_counter() - start,
             to_version, version, database.name)
    return target


def _no_space(database: Path, target: Path, needed: int, free: int | None,
              to_version: int) -> StoreError:
    needs, has = _mb(needed), None
    if free is not None:  # said precisely enough to differ ("needs 1.1 MB, and 1.1 MB is free")
        needs, has = next(((_mb(needed, d), _mb(free, d)) for d in (1, 2, 3)
                           if _mb(needed, d) != _mb(free, d)),
                          (f"{needed:,} bytes", f"{free:,} bytes"))
    left = f", and {has} is free" if has is not None else ""
    return StoreError(database, f"the disk is full, so the library was not upgraded to "
                      f"database schema {to_version}: a copy of it as it is ({target.name}) is "
                      f"made beside it first, which needs {needs}{left} (nothing was "
                      "changed)", f"Free at least {needs} of disk space and run it again")


def _is_no_space(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in _NO_SPACE
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_FULL


def _free_space(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _mb(size: int, digits: int = 1) -> str:
    return f"{size / 1e6:.{digits}f} MB"


def _sync(path: Path) -> None:
    """Flush a file, or a folder's entries (the rename), to the disk: the migration that
    follows must not reach the disk before the copy does. A file is opened for writing: on
    Windows fsync (FlushFileBuffers) refuses a read-only handle (EBADF). Folders cannot be
    opened on Windows, and some file systems cannot flush one (EINVAL: a CIFS share on Linux
    before 4.17, sshfs): the copy is then as safe as that disk makes any rename."""
    folder = path.is_dir()
    try:
        fd = os.open(path, os.O_RDONLY if folder else os.O_RDWR)
    except OSError:
        if folder:
            return
        raise
    try:
        os.fsync(fd)
    except OSError as exc:
        if not (folder and exc.errno == errno.EINVAL):
            raise
    finally:
        os.close(fd)
