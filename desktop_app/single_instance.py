"""One desktop app per LOOKALIKE_HOME: a later start hands its argument to the running one.

Two windows on one home would both index the same changes, and the last one closed would
overwrite the other's settings.json. So the app takes a lock file in the config folder
(lock_path; QLockFile: a lock left by a crashed app, whose process is gone, is taken over)
and listens on a local socket named after that folder (QLocalServer). A later start that finds
the lock held sends its argument there (nothing, a folder or a photo, as an absolute path) and
exits once the running app has answered; if no answer comes within HANDOVER_TIMEOUT_S it says
so instead of opening a second window. A lock held by the app on another computer (a config
folder on a network share: its socket cannot be reached from here) is said at once, naming that
computer. Only the desktop app does this; the `lookalike` commands do not.

The parts: the message (encode_request/decode_request), the lock (InstanceLock), the running
app's side (InstanceServer), a later start's side (send_request), and claim() that puts them
together.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QSysInfo
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

LOCK_NAME = "lookalike.lock"
HANDOVER_TIMEOUT_S = 5.0  # how long a later start waits for the running app to answer
UNREADABLE_LOCK_AGE_S = 5.0  # an empty or garbled lock file older than this is stale


# -- the message ----------------------------------------------------------------------------------
# A request is one frame: a 4-byte big-endian length, then MAGIC, then nothing (just bring the
# window to the front) or b"=" and the path as the file system's bytes (os.fsencode, so a path
# that is not valid UTF-8 arrives unchanged). The answer is REPLY once the request is handled.
MAGIC = b"lookalike-open/1\n"
REPLY = b"ok\n"
MAX_FRAME = 1 << 16


class ProtocolError(ValueError):
    """Bytes that are not a request from a Lookalike start."""


@dataclass(frozen=True)
class Request:
    argument: str | None  # an absolute folder or photo path; None: just show the window


def encode_request(argument: str | None) -> bytes:
    body = MAGIC if argument is None else MAGIC + b"=" + os.fsencode(argument)
    if len(body) > MAX_FRAME or (argument is not None and (not argument or "\0" in argument)):
        raise ProtocolError(f"cannot send this path: {argument!r}")
    return struct.pack(">I", len(body)) + body


def decode_request(data: bytes) -> Request | None:
    """The request in `data`, or None while it is incomplete; ProtocolError if it is not one."""
    if len(data) < 4:
        return None
    (size,) = struct.unpack(">I", data[:4])
    if size > MAX_FRAME:
        raise ProtocolError(f"a frame of {size} bytes is too long")
    if len(data) < 4 + size:
        return None
    body, extra = data[4:4 + size], data[4 + size:]
    if extra or not body.startswith(MAGIC):
        raise ProtocolError("not a Lookalike request")
    rest = body[len(MAGIC):]
    if not rest:
        return Request(None)
    if rest[:1] != b"=" or len(rest) == 1 or b"\0" in rest:
        raise ProtocolError("not a Lookalike request")
    return Request(os.fsdecode(rest[1:]))


def server_name(config_dir: Path) -> str:
    """The local socket's name: one per config folder (by its real path) and user."""
    key = os.fsencode(os.path.realpath(config_dir))
    user = str(os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", ""))
    return "lookalike-" + hashlib.sha256(key + b"\0" + user.encode()).hexdigest()[:24]


# -- the lock -------------------------------------------------------------------------------------
def lock_path(config_dir: Path) -> Path:
    """The lock file: in the config folder, unless Qt cannot name that folder (its name is not
    UTF-8, e.g. a Latin-1 home): then in the user's runtime folder, named after the server."""
    path = Path(config_dir) / LOCK_NAME
    try:
        str(path).encode("utf-8")  # how Qt names files on Linux
        return path
    except UnicodeEncodeError:
        where = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
        return Path(where) / f"{server_name(config_dir)}.lock"


class InstanceLock:
    """The lock file in the config folder, held as long as the app runs."""

    def __init__(self, config_dir: Path) -> None:
        self.path = lock_path(config_dir)
        self._lock = QLockFile(str(self.path))
        # Never stale by age (the app runs for days), only when its process is gone.
        self._lock.setStaleLockTime(0)

    def try_lock(self) -> bool:
        """True: taken (also over a crashed app's lock); False: a running process holds it.
        OSError when the lock file cannot be made (a read-only config folder)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._lock.tryLock(0):
            return True
        if self._lock.error() != QLockFile.LockError.LockFailedError:
            raise OSError(f"cannot create the lock file {self.path} "
                          f"({self._lock.error().name})")
        # Qt takes over a lock whose process is gone, but not one it cannot read (emptied by a
        # crash while it was written, or a full disk): that one is stale once it is not new,
        # or dated further in the future (the clock set back since: it would stay "new" till
        # then). A little ahead is new: one being written on a network share whose server's
        # clock is ahead of this computer's.
        age = self._age()
        if self.owner_pid() is None and abs(age) > UNREADABLE_LOCK_AGE_S:
            log.warning("removing the unreadable lock file %s", self.path)
            self._lock.removeStaleLockFile()
            return bool(self._lock.tryLock(0))
        return False

    def owner_pid(self) -> int | None:
        info = self._lock.getLockInfo()  # (pid, hostname, appname); pid 0 when unreadable
        pid = info[0] if isinstance(info, tuple) and info else 0
        return int(pid) or None

    def owner_elsewhere(self) -> str | None:
        """The other computer whose app holds the lock (a config folder on a network share),
        or None: this one's, or not known. Qt never takes over such a lock: it cannot tell
        whether that process still runs. Told as Qt tells it: by the machine id the lock file
        records when both are known (a computer renamed, or a Mac whose host name follows the
        network, is still this one; two computers named alike are not), else by the host name
        Qt writes (on Windows %COMPUTERNAME%, which QSysInfo.machineHostName() is not: that is
        the DNS name, "Johns-Laptop" for "JOHNS-LAPTOP")."""
        info = self._lock.getLockInfo()
        host = str(info[1]) if isinstance(info, tuple) and len(info) > 1 and info[0] else ""
        if not host:
            return None
        try:  # pid, app name, host name, machine id (Qt 5.10 and later), boot id
            lines = self.path.read_bytes().split(b"\n")
        except OSError:
            lines = []
        host_id = lines[3].strip() if len(lines) > 3 else b""
        ours = bytes(QSysInfo.machineUniqueId()).strip()
        if host_id and ours:
            return None if host_id == ours else host
        names = {QSysInfo.machineHostName()}
        if sys.platform == "win32":
            names.add(os.environ.get("COMPUTERNAME", ""))
        return None if host.casefold() in {n.casefold() for n in names if n} else host

    def _age(self) -> float:
        try:
            return time.time() - self.path.stat().st_mtime
        except OSError:
            return 0.0

    def unlock(self) -> None:
        self._lock.unlock()


# -- the running app's side -----------------------------------------------------------------------
class InstanceServer(QObject):
    """Listens for later starts. Each request is passed to the handler, then answered; requests
    that come before a handler is set wait for it."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._clients: dict[QLocalSocket, bytearray] = {}
        self._handler: Callable[[str | None], None] | None = None
        self._waiting: list[tuple[QLocalSocket, Request]] = []

    def listen(self) -> bool:
        # Only called with the lock held: a socket by this name is a crashed app's.
        QLocalServer.removeServer(self.name)
        if self._server.listen(self.name):
            return True
        log.warning("cannot listen for later starts on %s (%s)", self.name,
                    self._server.errorString())
        return False

    def set_handler(self, handler: Callable[[str | None], None]) -> None:
        self._handler = handler
        waiting, self._waiting = self._waiting, []
        for socket, request in waiting:
            self._handle(socket, request)

    def close(self) -> None:
        self._server.close()
        for socket in [*self._clients, *(s for s, _ in self._waiting)]:
            socket.abort()
        self._clients.clear()
        self._waiting.clear()

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._clients[socket] = bytearray()
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _forget(self, socket: QLocalSocket) -> None:
        # A start that gave up waiting has said so and exited: its request is dropped.
        self._clients.pop(socket, None)
        self._waiting = [(s, r) for s, r in self._waiting if s is not socket]
        with contextlib.suppress(RuntimeError):  # already gone with the server (at exit)
            socket.deleteLater()

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        buffer = self._clients.get(socket)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        try:
            request = decode_request(bytes(buffer))
        except ProtocolError as exc:
            log.warning("ignoring a message on %s: %s", self.name, exc)
            self._clients.pop(socket, None)
            socket.abort()
            return
        if request is None:
            return
        self._clients.pop(socket, None)
        if self._handler is None:
            self._waiting.append((socket, request))
        else:
            self._handle(socket, request)

    def _handle(self, socket: QLocalSocket, request: Request) -> None:
        log.info("another start handed over %s", request.argument or "nothing (show the window)")
        try:
            assert self._handler is not None
            self._handler(request.argument)
        finally:  # answered even if handling failed (the app shows that error itself)
            socket.write(REPLY)
            socket.flush()
            socket.disconnectFromServer()  # after the answer is written


# -- a later start's side -------------------------------------------------------------------------
def send_request(name: str, argument: str | None, deadline: float) -> bool | None:
    """Send `argument` to the app listening on `name`. True: it answered; False: nobody is
    listening (or it hung up unanswered: it is closing); None: no answer by `deadline`
    (time.monotonic())."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(_ms_left(deadline, at_most=1000)):
        socket.abort()
        return False
    socket.write(encode_request(argument))
    socket.flush()
    reply = b""
    while len(reply) < len(REPLY):
        if socket.bytesAvailable() == 0 and not socket.waitForReadyRead(_ms_left(deadline)):
            gone = socket.state() == QLocalSocket.LocalSocketState.UnconnectedState
            socket.abort()
            return False if gone and time.monotonic() < deadline else None
        reply += bytes(socket.readAll().data())
    socket.abort()
    return True if reply.startswith(REPLY) else None


def _ms_left(deadline: float, at_most: int | None = None) -> int:
    left = max(1, int((deadline - time.monotonic()) * 1000))
    return min(left, at_most) if at_most else left


# -- both together --------------------------------------------------------------------------------
@dataclass
class Claim:
    """What claim() found. `first`: this process is the app for this home (`server` and
    `lock` are None if the config folder cannot hold a lock: the app runs unguarded);
    `handed_over`: the running app took the argument; otherwise it did not answer."""

    first: bool = False
    handed_over: bool = False
    lock: InstanceLock | None = None
    server: InstanceServer | None = None
    lock_path: Path | None = None
    owner_pid: int | None = None
    owner_host: str | None = None  # the app holding the lock runs on that other computer

    def no_answer_message(self, timeout: float) -> str:
        owner = f" (process {self.owner_pid})" if self.owner_pid else ""
        if self.owner_host:  # its process cannot be seen from here, nor asked to answer
            return (f"lookalike: Lookalike is already running on the computer "
                    f"{self.owner_host}{owner} with this library (its folder is shared, on a "
                    f"network), so no second window was opened. Close it there first. If it no "
                    f"longer runs there, delete the lock file {self.lock_path} and start again.")
        return (f"lookalike: Lookalike is already running{owner} but did not answer within "
                f"{timeout:g} s, so no second window was opened. If it is closing, try again in "
                f"a moment; if it is stuck, end that process. If no Lookalike is running, "
                f"delete the lock file {self.lock_path} and start again.")

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
        if self.lock is not None:
            self.lock.unlock()


def claim(config_dir: Path, argument: str | None, timeout: float | None = None) -> Claim:
    """Become the app for `config_dir`, or hand `argument` to the one running there. Retried
    until the deadline: the running app may still be starting (locked, not yet listening) or
    just closing (its lock is then free)."""
    timeout = HANDOVER_TIMEOUT_S if timeout is None else timeout
    deadline = time.monotonic() + timeout
    lock = InstanceLock(config_dir)
    name = server_name(config_dir)
    while True:
        try:
            taken = lock.try_lock()
        except OSError as exc:  # a read-only home must not stop the app
            log.warning("%s; more than one Lookalike window may open on this library", exc)
            return Claim(first=True, lock_path=lock.path)
        if taken:
            server = InstanceServer(name)
            server.listen()  # if it cannot, later starts say that this one does not answer
            return Claim(first=True, lock=lock, server=server, lock_path=lock.path)
        answered = send_request(name, argument, deadline)
        if answered:  # also one whose computer was renamed since it took the lock
            return Claim(handed_over=True, lock_path=lock.path)
        elsewhere = lock.owner_elsewhere()
        if elsewhere is not None:  # its socket is on that computer: nothing to wait for
            return Claim(lock_path=lock.path, owner_pid=lock.owner_pid(), owner_host=elsewhere)
        if answered is None or time.monotonic() >= deadline:
            return Claim(lock_path=lock.path, owner_pid=lock.owner_pid())
        time.sleep(0.05)
