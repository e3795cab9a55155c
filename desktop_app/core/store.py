"""The library database: one SQLite file with named, versioned migrations.

WAL mode on a local disk; on a network file system (file_system.py) a rollback journal
(journal_mode DELETE) instead, since WAL's shared-memory index needs every process on one
computer: the mode is chosen at each open for writing, so a library moved between a local and
a network folder follows (a switch out of WAL waits until no other process has it open).

Tables: folders, photos (path, folder, size, mtime, inode change time, content fingerprint,
status, error, width, height), models, and codes keyed by (photo, model) so a new model can be
encoded beside the old one. Before a migration changes an existing library, a copy of it is
kept beside it (upgrade_copy.py), so an earlier version can still open it. Every write goes
through `transaction()` (BEGIN IMMEDIATE, retried while another process holds the lock, a wait
that lasts told to lock_waits_told_to's listener), every read through `query()` (waiting so
too, for another process's commit, with a rollback journal), and SQLite errors come out as one
clear StoreError.

Paths are stored as TEXT; a name that is not valid UTF-8 (possible on Linux) is stored as the raw
file-system bytes in the same column (SQLite columns are dynamically typed), so it round-trips.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    import numpy as np
    import sqlite_utils

from .. import paths
from ..log import Shown
from . import file_system, rescued_copy, upgrade_copy
from .errors import StoreError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 30.0
# A write (or a read, with a rollback journal) that waits for another process's lock on the
# library waits here, in steps this long, not all of BUSY_TIMEOUT_S inside SQLite's busy
# handler: between steps Python serves Ctrl-C, and a wait that lasts is told (lock_waits_told_to).
LOCK_POLL_S = 0.1
LOCK_WAIT_NOTICE_S = 1.0  # waited this long: told (an ordinary brief lock is not)

# Called once per wait that lasts LOCK_WAIT_NOTICE_S, with the library's path and how long the
# wait may last in all; None: waits are not told (the store never prints).
_lock_wait_listener: Callable[[Path, float], None] | None = None


@contextlib.contextmanager
def lock_waits_told_to(listener: Callable[[Path, float], None]) -> Iterator[None]:
    """Within the block, `listener(path, timeout_s)` hears of every write (on this thread or any
    other) that has waited LOCK_WAIT_NOTICE_S for another process holding the library's write
    lock (the app indexing, a `lookalike` command), and of every read that has waited so long
    for another process's commit (a library with a rollback journal), once per wait; it then
    goes on waiting, up to timeout_s in all, before it fails with a StoreError. The command
    line says it on stderr, so that a command does not seem to hang."""
    global _lock_wait_listener
    before, _lock_wait_listener = _lock_wait_listener, listener
    try:
        yield
    finally:
        _lock_wait_listener = before


class OutdatedSchemaError(StoreError):
    """Opened read-only, the library needs a migration first (which writes)."""


class WaitStopped(StoreError):
    """A wait for another process's lock on the library was ended by Store.stop_waiting (the
    app closing): the statement that waited did nothing (a transaction it was to begin was not
    begun)."""


# -- paths <-> database values ------------------------------------------------------------------
def encode_path(path: str | os.PathLike) -> str | bytes:
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:  # surrogate-escaped bytes from a non-UTF-8 file name
        return os.fsencode(text)


def decode_path(value: str | bytes) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else value


# -- migrations: append only; never edit one that has shipped ---------------------------------
def _m001_initial(db: sqlite_utils.Database) -> None:
    for sql in (
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)""",
        """CREATE TABLE folders (
               id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, added_at REAL NOT NULL)""",
        """CREATE TABLE photos (
               id INTEGER PRIMARY KEY,
               path TEXT NOT NULL UNIQUE,
               folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
               size INTEGER NOT NULL,
               mtime REAL NOT NULL,
               fingerprint TEXT,
               status TEXT NOT NULL,
               error TEXT,
               width INTEGER,
               height INTEGER,
               indexed_at REAL NOT NULL)""",
        "CREATE INDEX photos_by_folder ON photos(folder_id)",
        "CREATE INDEX photos_by_fingerprint ON photos(fingerprint)",
        """CREATE TABLE models (
               id TEXT PRIMARY KEY, name TEXT NOT NULL, bits INTEGER NOT NULL,
               path TEXT, card TEXT, added_at REAL NOT NULL)""",
        """CREATE TABLE codes (
               photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
               model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
               code BLOB NOT NULL,
               PRIMARY KEY (photo_id, model_id)) WITHOUT ROWID""",
        # Covering index: loading one model's codes for search is a single index scan.
        "CREATE INDEX codes_by_model ON codes(model_id, photo_id, code)",
    ):
        db.execute(sql)


def _m002_photo_ctime(db: sqlite_utils.Database) -> None:
    # The inode change time in ns (scan.change_time); NULL: not known yet (a photo indexed
    # before this column, or on Windows), then size and mtime alone say a file is unchanged.
    db.execute("ALTER TABLE photos ADD COLUMN ctime_ns INTEGER")


MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "001_initial", _m001_initial),
    (2, "002_photo_ctime", _m002_photo_ctime),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
# The oldest schema a read-only open still reads: the later migrations only add nullable
# columns, read as NULL. (A library on a read-only disk cannot be upgraded; refusing it would
# hide every photo of a library the previous version showed.)
READABLE_FROM = 1


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def store_error(path: Path, exc: BaseException) -> StoreError:
    """Translate an sqlite3 error into one sentence that says what to do."""
    text = str(exc).lower()
    if "disk is full" in text or "database or disk is full" in text or (
            "disk i/o error" in text and _disk_full(path)):
        # SQLite says "disk I/O error", not "disk is full", when it cannot grow the -shm or
        # -wal file: e.g. opening a library on a disk with no space left at all.
        return StoreError(path, "the disk is full, so the library could not be saved (nothing "
                          "already saved was lost)", "Free some disk space and run it again")
    if _hot_journal(exc):  # and it could not be played back from here
        return StoreError(path, "a Lookalike that was writing the library stopped before it "
                          f"finished (its journal, {path.name}-journal, is beside it), and it can "
                          "only be read once that journal is played back, which needs a "
                          f"folder that may be written: {_why_unwritable(path)}", "Run any "
                          "`lookalike` command once where this folder can be written (nothing "
                          "already saved was lost), then run it again")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return StoreError(path, f"the library database cannot be written: {_why_unwritable(path)}",
                          "Make it writable, or set LOOKALIKE_HOME to a folder you may write to "
                          "(status, similar, duplicates and models list also work read-only)")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(path, f"the library database is damaged ({exc})",
                          "Move the file aside and index your folders again")
    if "no such table" in text or "no such column" in text or "already exists" in text:
        # Tables missing or unexpected: a damaged file, or one another program or version made.
        return StoreError(path, "the library database is damaged or was made by an "
                          f"incompatible version of Lookalike ({exc})",
                          "Move the file aside and index your folders again")
    if "disk i/o error" in text:  # e.g. a file size limit (ulimit -f), a failing disk
        network = file_system.network_file_system(path.parent)
        if network is not None:  # a share gone away, or its locks or shared memory refused
            return StoreError(path, f"the library database could not be read or written on "
                              f"this network file system ({network}: {exc}; nothing already "
                              "saved was lost)", "Check that the share is still connected, "
                              f"then run it again; if this comes back, set {paths.HOME_ENV} to "
                              "a folder on a local disk")
        return StoreError(path, f"the library database could not be written ({exc}; nothing "
                          "already saved was lost)", "Check the free disk space, any file size "
                          "limit (ulimit -f) and the disk itself, then run it again")
    if "foreign key constraint failed" in text:
        # A write referring to a folder or photo that `forget` in another process removed.
        return StoreError(path, "another Lookalike process removed a folder or photo from the "
                          "library (`lookalike forget`) that this one was writing (nothing "
                          "already saved was lost)", "Run the command again")
    if _is_busy(exc):
        network = file_system.network_file_system(path.parent)
        hint = "Close the other one and retry"
        if network is not None:  # file locks that never free are a known fault of some shares
            hint += (f"; the library is on a network file system ({network}), whose file locks "
                     "may not work: if no other Lookalike is running, on this or another "
                     f"computer, set {paths.HOME_ENV} to a folder on a local disk")
        return StoreError(path, "the library database stayed locked by another Lookalike "
                          f"process for {BUSY_TIMEOUT_S:.0f} s", hint)
    return StoreError(path, f"a database error happened ({exc})")


DISK_FULL_BYTES = 1 << 20  # less free than this: a write error is taken for a full disk


def _disk_full(path: Path) -> bool:
    """Is (almost) no space left on the disk that holds `path`?"""
    try:  # statvfs on POSIX (f_bavail * f_frsize), GetDiskFreeSpaceExW on Windows
        return shutil.disk_usage(path.parent).free < DISK_FULL_BYTES
    except OSError:
        return False


def _why_unwritable(path: Path) -> str:
    """The likely reason SQLite could not write `path`, in words."""
    folder = path.parent
    if not folder.is_dir():
        return "its folder does not exist"
    with contextlib.suppress(OSError, AttributeError):  # statvfs: not on Windows
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "it is on a read-only file system"
    effective = os.access in os.supports_effective_ids
    if path.exists() and not os.access(path, os.W_OK, effective_ids=effective):
        return "your user may not write to the file"
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=effective):
        return "your user may not write to its folder (SQLite keeps its journal beside it)"
    return "SQLite could not open it for writing"


def _read_only_uri(path: Path) -> str:
    """The URI that opens `path` read-only. A WAL database needs its -shm file, which SQLite
    cannot create in a folder it may not write (a read-only mount): then, if no other process
    is writing it (no -wal file with data), it is opened as immutable. A library with a
    rollback journal (on a network file system) needs no -shm, and keeps SQLite's locks: a
    writer on another computer may be writing it."""
    uri = sqlite_uri(Path(os.path.abspath(path))) + "?mode=ro"
    shm_missing = not path.with_name(path.name + "-shm").exists()
    if (shm_missing and _is_wal(path) and _no_writer(path)
            and not os.access(path.parent, os.W_OK | os.X_OK)):
        uri += "&immutable=1"
    return uri


def sqlite_uri(path: PurePath) -> str:
    """The file: URI SQLite opens for the absolute `path`. Not Path.as_uri(): it writes a
    Windows share (//server/share/..., what a mapped network drive resolves to) as
    file://server/share/..., whose authority SQLite refuses ("invalid uri authority"); SQLite
    reads file:////server/share/... as that share (an empty authority)."""
    text = path.as_posix()
    if not text.startswith("/"):  # C:/... -> file:///C:/... (SQLite drops the / before C:)
        text = "/" + text
    # Kept as they are: the path's separators, and the colon of a drive letter. The file
    # system's bytes: a name that is not UTF-8 (Linux) reaches SQLite as it is on the disk.
    return "file://" + urllib.parse.quote_from_bytes(os.fsencode(text), safe="/:")


def _is_wal(path: Path) -> bool:
    """Does the database file's header say WAL (file format versions 2 at bytes 18 and 19)?"""
    try:
        with open(path, "rb") as f:
            f.seek(18)
            return f.read(2) == b"\x02\x02"
    except OSError:
        return True  # not known: as before


def _no_writer(path: Path) -> bool:
    """No process is writing the library, or was when it stopped: its -wal holds nothing, so
    the database file alone is the whole library."""
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size == 0
    except FileNotFoundError:
        return True


def _shm_failed(exc: sqlite3.Error) -> bool:
    """SQLite could not create or grow the -shm file of a WAL library (a full disk, a file size
    limit): SQLITE_IOERR_SHMOPEN, _SHMSIZE or _SHMMAP."""
    return (getattr(exc, "sqlite_errorname", "") or "").startswith("SQLITE_IOERR_SHM")


def _hot_journal(exc: BaseException) -> bool:
    """A library with a rollback journal (on a network file system) that a writer left in the
    middle of a transaction (killed, crashed, its share or power gone): its -journal must be
    played back before anyone reads it, which a read-only connection may not do."""
    return getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK"


def _roll_back_journal(path: Path) -> bool:
    """Play back the journal a stopped writer left, as any connection that may write does on
    its first read (the library as it was at its last commit); False where it may not write."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error:
        return False
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        log.info("%s: played back the journal a Lookalike that stopped while writing left",
                 path)
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def _wait_for_lock(conn: sqlite3.Connection, path: Path, statement: str,
                   params: Sequence[Any] = (), stop: threading.Event | None = None
                   ) -> list[tuple]:
    """Run `statement` and return its rows, waiting up to BUSY_TIMEOUT_S while another process
    holds the lock it needs: the write lock (BEGIN IMMEDIATE), or, for a read of a library with
    a rollback journal (a network folder's), the lock of a commit; a wait that lasts is told
    (lock_waits_told_to). Raises the sqlite3 error when the wait is over, or at once for any
    other error; WaitStopped once `stop` is set (looked at every LOCK_POLL_S step). A statement
    that failed busy is run again whole (its rows were not taken)."""
    started = time.monotonic()
    told = False
    conn.execute(f"PRAGMA busy_timeout = {int(LOCK_POLL_S * 1000)}")
    try:
        while True:
            try:
                return conn.execute(statement, params).fetchall()
            except sqlite3.OperationalError as exc:
                waited = time.monotonic() - started
                if not _is_busy(exc) or waited >= BUSY_TIMEOUT_S:
                    raise
                if stop is not None and stop.is_set():
                    raise WaitStopped(path, "Lookalike stopped waiting for another Lookalike "
                                      "process to finish writing the library, as it is closing: "
                                      "what it was about to save was not saved (nothing saved "
                                      "before was lost)") from None
                listener = _lock_wait_listener
                if listener is not None and not told and waited >= LOCK_WAIT_NOTICE_S:
                    told = True
                    listener(path, BUSY_TIMEOUT_S)
                # SQLite may answer "locked" at once, without its busy handler (see _enable_wal).
                time.sleep(0.02)
    finally:  # the other statements (a transaction's, COMMIT) wait in SQLite's busy handler
        with contextlib.suppress(sqlite3.Error):  # only a closed connection refuses it
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")


def _enable_wal(conn: sqlite3.Connection, path: Path,
                stop: threading.Event | None = None) -> None:
    """Switch to WAL, waiting like any other write. SQLite answers "database is locked" at once,
    without its busy handler, when another process is opening the same new library at that
    moment (seen in 1 of ~10 runs of two processes indexing one new library): retried too."""
    _wait_for_lock(conn, path, "PRAGMA journal_mode = WAL", stop=stop)


def _leave_wal(conn: sqlite3.Connection, path: Path, network: str) -> None:
    """Use a rollback journal, for a library on a network file system. A WAL library another
    connection has open stays in WAL for now: SQLite then answers "locked" at once, and waiting
    could take as long as that app runs; the next open once all are closed switches."""
    # Read first, waiting as any read does for another process's commit (told, Ctrl-C served):
    # the switch waited in SQLite's busy handler, silent and deaf to Ctrl-C, and a commit that
    # outlasted it was taken for a WAL library another process has open (a false warning). A
    # library already on a rollback journal (every open but its first here) needs no switch.
    mode = _wait_for_lock(conn, path, "PRAGMA journal_mode")[0][0]
    if mode != "delete":
        try:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            mode = "wal"
    if mode == "delete":  # SQLite answers with the mode it has now
        log.info("%s is on a network file system (%s): it uses a rollback journal, not WAL, "
                 "whose shared-memory index needs every process on one computer", path, network)
        return
    log.warning("%s is on a network file system (%s), where SQLite's WAL mode is not safe, but "
                "it stays in WAL mode for now because another Lookalike process has it open. "
                "Close every Lookalike using it (on this and other computers), then start it "
                "again: it then switches to a rollback journal. Or set %s to a folder on a "
                "local disk", path, network, paths.HOME_ENV)


class Store:
    """One connection to the library database. Use a Store on one thread; each thread or
    process opens its own on the same file (WAL lets readers and one writer work together; with
    the rollback journal of a network file system, a reader waits while a write commits)."""

    def __init__(self, path: str | Path | None = None, readonly: bool = False) -> None:
        self.path = Path(path) if path is not None else paths.database_path()
        self.readonly = readonly
        # The network file system holding the library, when opened for writing on one.
        self.network: str | None = None
        self._in_transaction = False
        # What the user must hear of this open (a copy of the library a crash left beside it):
        # logged as warnings too (which `lookalike` commands print), kept for the window.
        self.notices = rescued_copy.take_in(self.path, may_write=not readonly)
        self._stop = threading.Event()  # see stop_waiting
        self.conn = self._connect()
        # The library file this connection has open ((device, inode)), to notice it deleted or
        # replaced by another program while it runs (see _check_file). None: not known.
        self._identity = None if readonly else _identity(self.path)
        self._lost: StoreError | None = None  # set once writing stopped for good (_put_back)
        self._db = None
        self._ctime_column: str | None = None
        try:
            if readonly:
                self._check_version(self._read_version(), readonly=True)
            else:
                self._migrate()
        except BaseException:
            self.conn.close()
            raise

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils' view of the connection (imported on first use: it costs ~0.15 s of
        start-up, and opening an up-to-date library does not need it)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    # -- opening --------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                if not self.path.is_file():
                    raise StoreError(self.path, "there is no library database here yet",
                                     "Index a folder first with `lookalike index FOLDER`")
                conn = self._connect_read_only(_read_only_uri(self.path))
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S,
                                       check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self.readonly:
                self.network = file_system.network_file_system(self.path.parent)
                if self.network is None:
                    _enable_wal(conn, self.path, self._stop)
                    # WAL + NORMAL: a crash never corrupts; power loss may drop the last commit.
                    conn.execute("PRAGMA synchronous = NORMAL")
                else:
                    _leave_wal(conn, self.path, self.network)
                    # SQLite's own default with a rollback journal: NORMAL there may corrupt
                    # the file on power loss.
                    conn.execute("PRAGMA synchronous = FULL")
            return conn
        except StoreError:
            raise
        except OSError as exc:
            blocker = paths.file_in_the_way(self.path)
            if blocker is not None:  # "File exists" would name the database, not the file
                raise StoreError(self.path, f"{blocker} is a file, where Lookalike keeps the "
                                 "library's folder", "Move that file aside") from exc
            raise StoreError(self.path, f"cannot create the library folder ({exc.strerror})",
                             "Check the path and your permissions") from exc
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc

    def _connect_read_only(self, uri: str, rolled_back: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_S,
                               check_same_thread=False)
        if "immutable=1" in uri:
            return conn
        try:  # the first read of a WAL library makes its 32 KiB -shm file
            _wait_for_lock(conn, self.path, "SELECT 1 FROM sqlite_master LIMIT 1",
                           stop=self._stop)
            return conn
        except sqlite3.Error as exc:
            conn.close()
            if _hot_journal(exc) and not rolled_back and _roll_back_journal(self.path):
                return self._connect_read_only(uri, rolled_back=True)
            # A full disk (or a file size limit) has no room for the -shm file. Reading needs
            # none when no process is writing: read the database file alone, as on a
            # read-only mount.
            if not (_shm_failed(exc) and _no_writer(self.path)):
                raise
        return self._connect_read_only(uri + "&immutable=1")

    def _read_version(self) -> int:
        try:
            rows = _wait_for_lock(self.conn, self.path,
                                  "SELECT value FROM meta WHERE key = 'schema_version'",
                                  stop=self._stop)
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return 0
            raise store_error(self.path, exc) from exc
        except sqlite3.DatabaseError as exc:
            raise store_error(self.path, exc) from exc
        return int(rows[0][0]) if rows else 0

    def _check_version(self, version: int, readonly: bool = False) -> None:
        if version > SCHEMA_VERSION:
            hint = "Update Lookalike to open it"
            copy = upgrade_copy.copy_path(self.path, SCHEMA_VERSION)
            if copy.is_file():  # the newer version kept it before upgrading this one
                # The -wal of a Lookalike still running (or stopped short) would be read
                # into the copy put in place: it belongs to the library moved aside.
                hint += (", or, to go back to the library as it was before that upgrade, close "
                         f"every Lookalike, move it aside with any {self.path.name}-wal, "
                         f"-shm or -journal files beside it, and put a copy of {copy.name} "
                         "(beside it) in its place")
            raise StoreError(self.path, f"this library was saved by a newer version of Lookalike "
                             f"(database schema {version}; this version knows up to "
                             f"{SCHEMA_VERSION})", hint)
        if readonly and version < READABLE_FROM:
            raise OutdatedSchemaError(self.path, "this library uses an older database schema "
                                      f"({version})", "Open it once without read-only mode to "
                                      "upgrade it")

    def _migrate(self) -> None:
        version = self._read_version()
        self._check_version(version)
        if version == SCHEMA_VERSION:
            return
        with self.transaction():
            version = self._read_version()  # another process may have migrated meanwhile
            self._check_version(version)
            if 1 <= version < SCHEMA_VERSION:  # an existing library: keep it as it is first
                upgrade_copy.keep_copy(self.path, version, SCHEMA_VERSION)
            for number, name, step in MIGRATIONS:
                if number <= version:
                    continue
                step(self.db)
                if number == 1:
                    self.conn.execute("CREATE TABLE migrations (version INTEGER PRIMARY KEY, "
                                      "name TEXT NOT NULL, applied_at REAL NOT NULL)")
                self.conn.execute("INSERT INTO migrations VALUES (?, ?, ?)",
                                  (number, name, time.time()))
                self.set_meta("schema_version", str(number))

    @property
    def schema_version(self) -> int:
        return self._read_version()

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM migrations ORDER BY version")]

    # -- plumbing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; waits for another writer; rolls back on any error."""
        if self._in_transaction:  # nested: the outer one commits
            yield self.conn
            return
        if self.readonly:
            raise StoreError(self.path, "the library was opened read-only")
        self._check_file()
        try:
            _wait_for_lock(self.conn, self.path, "BEGIN IMMEDIATE", stop=self._stop)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc
        except BaseException:  # Ctrl-C as it began: the lock is not kept until the store closes
            if self.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            raise
        self._in_transaction = True
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise store_error(self.path, exc) from exc
            raise
        finally:
            self._in_transaction = False

    # -- the file changed under the open connection --------------------------------------------
    def _check_file(self) -> None:
        """Before each write: is the library file still the one this connection has open? A disk
        cleaner (or the user) that deletes it leaves the connection writing to a deleted file on
        POSIX, silently, and all that is written is lost when the app closes. Deleted: the library
        as this connection has it is put back in its place (nothing lost). Replaced by another
        file (a backup restore, a sync tool): that file is the user's now, never written over;
        writing stops, said with the remedy. One stat (microseconds) per transaction."""
        if self._lost is not None:
            raise self._lost
        if self._identity is None:
            return
        try:
            now = _identity(self.path, missing_ok=False)
        except FileNotFoundError:
            self._put_back()
            return
        if now is None or now == self._identity:  # not known now (a share gone): as before
            return
        raise StoreError(self.path, "another program replaced the library file while Lookalike "
                         "had it open (a backup restored, a sync tool?), so Lookalike saves "
                         "nothing more into it: the file now there is left as it is",
                         "Restart Lookalike to use the library now in that file (your folders "
                         "are checked again at start)")

    def _put_back(self) -> None:
        """The library file was deleted: copy the library this connection still has (SQLite's
        backup, the -wal's commits included) to a new file beside it, put that in its place if
        nothing else is there, and reopen it. Otherwise the copy is kept aside and the user told
        where, and every later write says why. A copy that cannot be made (a full disk) is tried
        again at the next write: the connection still has everything."""
        if self._lost is not None:
            raise self._lost
        deleted = "another program deleted the library file while Lookalike had it open"
        target = Path(os.path.realpath(self.path))  # a symbolic link: its file (as SQLite's)
        copy = rescued_copy.copy_path(target, os.getpid())
        made = False
        try:
            try:  # its folder deleted too (`rm -rf`): made again, never the folders above it
                target.parent.mkdir()
                made = True
            except FileExistsError:
                pass
            with contextlib.closing(sqlite3.connect(copy)) as dest:
                # Not on the library's disk any more: its drive unplugged or its share
                # disconnected, the folder that stays is the empty mount point's.
                if os.stat(copy).st_dev != self._identity[0]:
                    raise FileNotFoundError(errno.ENOENT, "not on its disk", str(copy))
                self.conn.backup(dest)
        except (OSError, sqlite3.Error) as exc:
            with contextlib.suppress(OSError):
                copy.unlink()
            if made:
                with contextlib.suppress(OSError):
                    target.parent.rmdir()
            if isinstance(exc, FileNotFoundError):
                raise StoreError(self.path, "the library file is gone, and its folder is not on "
                                 "the disk it was on (its drive unplugged or its network share "
                                 "disconnected?), so Lookalike saves nothing more for now",
                                 "Plug the drive in again (or reconnect the share), then "
                                 "restart Lookalike") from None
            # Not for good: the same write tries again (the job retried once disk space is
            # freed), and the cause stays the exception's cause for the worker to tell a full
            # disk.
            raise StoreError(self.path, f"{deleted}, and it could not be written back yet "
                             f"({getattr(exc, 'strerror', None) or exc}), so nothing more is "
                             "saved until it is", "Free some disk space or check its folder's "
                             "permissions: it is written back at the next save; or restart "
                             "Lookalike (it then indexes your folders again)") from exc
        self.conn.close()
        try:
            # The deleted library's -wal and -shm, if still at its name (only the file itself
            # deleted; SQLite leaves them when its file is gone): a new file there would read
            # them as its own. Their commits are in the copy; a process that has them open
            # keeps them (POSIX) and is told at its next write that the file was replaced.
            for end in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(target.with_name(target.name + end))
            rescued_copy.move_unless_taken(copy, target)
        except OSError as exc:
            self._lost = StoreError(self.path, f"{deleted} and put another file in its place (or "
                                    f"the folder refused a new one: {exc.strerror or exc}); the "
                                    f"library as Lookalike had it is kept as {copy}", "Restart "
                                    "Lookalike to use the file now there, or close it and move "
                                    f"{copy.name} to {target.name} to use the kept one")
        if self._lost is not None:
            # Read on from the copy (the window keeps its photos and searches); write nothing.
            self.conn = sqlite3.connect(copy, isolation_level=None, check_same_thread=False)
            self._db = None
            raise self._lost
        log.warning("%s was deleted by another program while Lookalike had it open; it was "
                    "written back from the library Lookalike had open (nothing was lost)",
                    self.path)
        self.conn = self._connect()
        self._db = None
        self._identity = _identity(self.path)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """The rows of a read; one that waits for another process's commit (a library with a
        rollback journal) waits as a write does, told and stopped by Ctrl-C."""
        try:
            return _wait_for_lock(self.conn, self.path, sql, params, self._stop)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """One statement, in its own transaction unless one is open."""
        with self.transaction() as conn:
            return conn.execute(sql, params)

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0][0] if row else default

    def set_meta(self, key: str, value: str | None) -> None:
        with self.transaction() as conn:
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) "
                             "DO UPDATE SET value = excluded.value", (key, value))

    def integrity_check(self) -> str:
        return self.query("PRAGMA integrity_check")[0][0]

    def stop_waiting(self) -> None:
        """From any thread: end this store's wait for another process's lock (a write's, or a
        read's on a rollback journal) within a LOCK_POLL_S step, and every later one at once,
        with WaitStopped; what needs no wait still runs. For the app closing while another
        process writes: its worker must not hold the window up to BUSY_TIMEOUT_S. (A COMMIT on a
        rollback journal still waits in SQLite's busy handler for readers.)"""
        self._stop.set()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- models ---------------------------------------------------------------------------
    def register_model(self, model_id: str, name: str, bits: int, path: str | None,
                       card_json: str | None, move: bool = True) -> None:
        """Record a model and its folder (made absolute: commands run from any directory).
        `move=False` keeps the folder already recorded for this model (a one-off --model copy
        must not become where the library looks for its active model)."""
        path = os.path.abspath(path) if path else None
        update_path = "excluded.path" if move else "COALESCE(models.path, excluded.path)"
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO models(id, name, bits, path, card, added_at) VALUES (?,?,?,?,?,?) "
                f"ON CONFLICT(id) DO UPDATE SET name = excluded.name, path = {update_path}, "
                "card = excluded.card",
                (model_id, name, bits, encode_path(path) if path else None, card_json,
                 time.time()))

    def models(self) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT m.id, m.name, m.bits, m.path, m.added_at, "
            "(SELECT COUNT(*) FROM codes c WHERE c.model_id = m.id) "
            "FROM models m ORDER BY m.added_at, m.id")
        active = self.active_model_id()
        return [{"id": r[0], "name": r[1], "bits": r[2],
                 "path": decode_path(r[3]) if r[3] is not None else None,
                 "added_at": r[4], "codes": r[5], "active": r[0] == active} for r in rows]

    def codes_per_model(self, photo_ids: Sequence[int] | None = None) -> dict[str, int]:
        """Model id -> photos with a code from it, of all photos or of `photo_ids`. All: one
        scan of the codes_by_model index (about 0.1 s at 200,000 photos and 3 models)."""
        if photo_ids is None:
            return dict(self.query("SELECT model_id, COUNT(*) FROM codes GROUP BY model_id"))
        counts: dict[str, int] = {}
        for chunk, marks in _chunks(list(photo_ids)):
            for model_id, count in self.query(
                    f"SELECT model_id, COUNT(*) FROM codes WHERE photo_id IN ({marks}) "
                    "GROUP BY model_id", chunk):
                counts[model_id] = counts.get(model_id, 0) + count
        return counts

    def model(self, model_id: str) -> dict[str, Any] | None:
        return next((m for m in self.models() if m["id"] == model_id), None)

    def active_model_id(self) -> str | None:
        return self.get_meta("active_model")

    def set_active_model(self, model_id: str) -> None:
        self.set_meta("active_model", model_id)

    # -- folders --------------------------------------------------------------------------
    def folder_rows(self) -> list[tuple[int, str, float]]:
        return [(r[0], decode_path(r[1]), r[2])
                for r in self.query("SELECT id, path, added_at FROM folders ORDER BY path")]

    def insert_folder(self, path: str) -> int:
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)",
                         (encode_path(path), time.time()))
            return conn.execute("SELECT id FROM folders WHERE path = ?",
                                (encode_path(path),)).fetchone()[0]

    def delete_folder(self, folder_id: int) -> int:
        with self.transaction() as conn:
            n = conn.execute("SELECT COUNT(*) FROM photos WHERE folder_id = ?",
                             (folder_id,)).fetchone()[0]
            conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))
            return n

    # -- photos and codes -------------------------------------------------------------------
    @property
    def ctime_column(self) -> str:
        """photos.ctime_ns, or NULL in a library of schema 1 read as it is (read-only)."""
        if self._ctime_column is None:
            known = {row[1] for row in self.query("PRAGMA table_info(photos)")}
            self._ctime_column = "ctime_ns" if "ctime_ns" in known else "NULL"
        return self._ctime_column

    # The fingerprint last: a Photo record is the row without it.
    @property
    def photo_columns(self) -> str:
        return ("id, path, folder_id, size, mtime, width, height, status, error, "
                f"{self.ctime_column}, fingerprint")

    def photo_rows(self, where: str = "", params: Sequence[Any] = ()) -> list[tuple]:
        sql = f"SELECT {self.photo_columns} FROM photos {where}"
        return [(r[0], decode_path(r[1]), *r[2:]) for r in self.query(sql, params)]

    def codes_for_model(self, model_id: str) -> tuple[np.ndarray, bytes]:
        """(photo ids ascending as int64, their packed codes joined): one query (a covering
        index scan), ready for numpy.frombuffer."""
        import numpy as np

        rows = self.query("SELECT photo_id, code FROM codes WHERE model_id = ? "
                          "ORDER BY photo_id", (model_id,))
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        return ids, b"".join([r[1] for r in rows])

    def photo_rows_by_id(self, photo_ids: Sequence[int]) -> list[tuple]:
        """photo_rows of these photos (those still there), a few hundred ids per query."""
        return [row for chunk, marks in _chunks(photo_ids)
                for row in self.photo_rows(f"WHERE id IN ({marks})", chunk)]

    def codes_of(self, model_id: str, photo_ids: Sequence[int]) -> list[tuple[int, bytes]]:
        """(photo id, packed code) of these photos for one model (those that have one)."""
        return [row for chunk, marks in _chunks(photo_ids) for row in self.query(
            f"SELECT photo_id, code FROM codes WHERE model_id = ? AND photo_id IN ({marks})",
            (model_id, *chunk))]

    def data_version(self) -> int:
        """Changes whenever another connection (another process) has committed to the library
        since this one last looked; this connection's own commits leave it as it is."""
        return self.query("PRAGMA data_version")[0][0]

    def delete_photos(self, photo_ids: Iterable[int]) -> int:
        ids = [(int(i),) for i in photo_ids]
        if not ids:
            return 0
        with self.transaction() as conn:
            conn.executemany("DELETE FROM photos WHERE id = ?", ids)
        return len(ids)


def log_store_opened(store: Store) -> None:
    """-v: which library file a command works on, and how SQLite journals it (WAL, or a
    rollback journal on a network file system)."""
    if log.isEnabledFor(logging.INFO):
        try:
            mode = store.query("PRAGMA journal_mode")[0][0]
        except StoreError as exc:  # -v must not stop a command that works without it
            mode = f"not known ({exc.reason})"
        log.info("library %s opened%s, journal mode %s", Shown(str(store.path)),
                 " read-only" if store.readonly else "", mode)


def _identity(path: Path, missing_ok: bool = True) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`; None where not known (no inode numbers: some
    Windows file systems; a stat that fails otherwise). FileNotFoundError unless missing_ok."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError) as exc:  # a file where its folder was too
        if missing_ok:
            return None
        raise FileNotFoundError(exc.errno, exc.strerror, str(path)) from exc
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if st.st_ino else None


def _chunks(ids: Sequence[int], size: int = 500) -> Iterator[tuple[list[int], str]]:
    """(ids, "?,?,...") slices of `ids`, each small enough for one IN (...) query."""
    for start in range(0, len(ids), size):
        chunk = [int(i) for i in ids[start:start + size]]
        yield chunk, ",".join("?" * len(chunk))
