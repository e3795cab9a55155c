"""One desktop app per LOOKALIKE_HOME: a second start hands its folder or photo to the running
app and exits; a lock left by a killed app does not block; a hung app is reported, not doubled."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from photos import make_photo
from ui_helpers import app_main_until_indexed

from desktop_app import app, paths, single_instance
from desktop_app.settings import Settings
from desktop_app.single_instance import (
    InstanceLock,
    InstanceServer,
    ProtocolError,
    Request,
    claim,
    decode_request,
    encode_request,
    server_name,
)

NOT_UTF8 = os.fsdecode(b"/photos/caf\xe9/\xff\xfe.jpg")  # Latin-1 names on a Linux disk


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def run_python(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, check=False, timeout=timeout)


def start_python(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# -- the message ----------------------------------------------------------------------------------
@pytest.mark.parametrize("argument", [None, "/photos/Pictures", "/photos/a\nb c.jpg", NOT_UTF8,
                                      "C:\\Users\\me\\Été.heic"])
def test_a_request_decodes_to_what_was_encoded(argument):
    frame = encode_request(argument)
    assert decode_request(frame) == Request(argument)
    for cut in range(len(frame)):  # arriving in pieces: incomplete until the last byte
        assert decode_request(frame[:cut]) is None


def test_a_non_utf8_path_travels_as_its_bytes():
    frame = encode_request(NOT_UTF8)
    assert frame.endswith(b"=/photos/caf\xe9/\xff\xfe.jpg")
    assert os.fsencode(decode_request(frame).argument) == b"/photos/caf\xe9/\xff\xfe.jpg"


@pytest.mark.parametrize("data", [
    b"\x00\x00\x00\x05hello",  # not ours
    encode_request("/a") + b"x",  # trailing bytes
    b"\xff\xff\xff\xff",  # far too long
    encode_request(None)[:4] + b"lookalike-open/2\n",  # another version (same length)
    b"\x00\x00\x00\x12" + single_instance.MAGIC + b"=",  # "=" and no path
])
def test_bytes_that_are_not_a_request_are_refused(data):
    with pytest.raises(ProtocolError):
        decode_request(data)


def test_a_path_that_cannot_be_sent_is_refused():
    for bad in ("", "/a\0b", "/" + "x" * 70000):
        with pytest.raises(ProtocolError):
            encode_request(bad)


def test_each_config_folder_has_its_own_server_name(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "a")
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    assert server_name(tmp_path / "link") == server_name(tmp_path / "a")  # one folder


# -- in one process -------------------------------------------------------------------------------
def send_from_thread(server: InstanceServer, argument: str | None) -> list[bytes]:
    """What a later start sends, from a thread with the standard library's socket (PySide's
    blocking calls would hold the GIL that this process's server needs): the answer is added to
    the list returned."""
    import socket

    answers: list[bytes] = []

    def send() -> None:
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(20)
            client.connect(server._server.fullServerName())
            client.sendall(encode_request(argument))
            answers.append(client.recv(100))

    threading.Thread(target=send, daemon=True).start()
    return answers


@pytest.mark.skipif(sys.platform == "win32", reason="the test's client uses a Unix socket")
def test_a_handed_photo_is_searched_and_the_window_comes_back(qtbot, make_window, tmp_path):
    window = make_window()
    window.showMinimized()
    photo = make_photo(tmp_path / "handed.jpg", "rocket", size=(80, 100))
    server = InstanceServer(server_name(tmp_path) + "-test")
    assert server.listen()
    server.set_handler(lambda argument: app.handed_over(window, argument))
    try:
        answers = send_from_thread(server, str(photo))
        qtbot.waitUntil(lambda: bool(answers), timeout=20000)
    finally:
        server.close()
    assert answers == [single_instance.REPLY]
    assert not window.isMinimized() and window.isVisible()
    qtbot.waitUntil(lambda: "handed.jpg" in window.results_panel.query_label.text(),
                    timeout=20000)


@pytest.mark.skipif(sys.platform == "win32", reason="the test's client uses a Unix socket")
def test_a_request_sent_before_the_window_exists_waits_for_it(qtbot, tmp_path):
    server = InstanceServer(server_name(tmp_path) + "-early")
    assert server.listen()
    handled = []
    try:
        answers = send_from_thread(server, NOT_UTF8)
        qtbot.waitUntil(lambda: bool(server._waiting), timeout=20000)
        assert not answers  # not answered before it is handled
        server.set_handler(handled.append)
        qtbot.waitUntil(lambda: bool(answers), timeout=20000)
    finally:
        server.close()
    assert handled == [NOT_UTF8] and answers == [single_instance.REPLY]


def test_a_running_app_that_does_not_answer_is_reported(tmp_path):
    config = paths.config_dir()
    held = InstanceLock(config)
    assert held.try_lock()
    server = InstanceServer(server_name(config))  # listening, but no event loop runs: hung
    assert server.listen()
    try:
        started = time.monotonic()
        found = claim(config, str(tmp_path), timeout=1.0)
        assert time.monotonic() - started < 5
        assert not found.first and not found.handed_over
        message = found.no_answer_message(1.0)
        assert str(config / "lookalike.lock") in message and f"process {os.getpid()}" in message
        assert "did not answer within 1 s" in message and "end that process" in message
        server.close()  # and no server at all: the same
        assert not claim(config, None, timeout=0.5).first
    finally:
        server.close()
        held.unlock()


def test_an_unreadable_lock_file_is_stale_once_it_is_not_new(tmp_path):
    config = paths.config_dir()
    config.mkdir(parents=True)
    lock_file = config / "lookalike.lock"
    lock_file.write_bytes(b"")  # a crash while it was written
    assert not InstanceLock(config).try_lock()  # maybe being written just now
    old = time.time() - 60
    os.utime(lock_file, (old, old))
    lock = InstanceLock(config)
    assert lock.try_lock()
    assert lock.owner_pid() == os.getpid()
    lock.unlock()


def test_an_unreadable_lock_file_dated_in_the_future_is_stale(tmp_path):
    """Written before the clock was set back an hour: without this it stayed 'new' (not
    taken over) for that hour, and the app would not start."""
    config = paths.config_dir()
    config.mkdir(parents=True)
    lock_file = config / "lookalike.lock"
    lock_file.write_bytes(b"")
    ahead = time.time() + 3600
    os.utime(lock_file, (ahead, ahead))
    lock = InstanceLock(config)
    assert lock.try_lock()
    assert lock.owner_pid() == os.getpid()
    lock.unlock()


def test_an_unreadable_lock_file_a_little_in_the_future_is_new(tmp_path):
    """Being written just now on a network share whose server's clock is a second ahead of
    this computer's: not taken over (two windows on one home)."""
    config = paths.config_dir()
    config.mkdir(parents=True)
    lock_file = config / "lookalike.lock"
    lock_file.write_bytes(b"")
    ahead = time.time() + 1
    os.utime(lock_file, (ahead, ahead))
    assert not InstanceLock(config).try_lock()
    assert lock_file.read_bytes() == b""


# -- between processes ----------------------------------------------------------------------------
FIRST_APP = """
    import sys
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from desktop_app import app
    from desktop_app.ui.main_window import MainWindow
    qt = QApplication([])
    def watch():
        window = next((w for w in qt.topLevelWidgets() if isinstance(w, MainWindow)), None)
        if window is not None and window._opened:
            Path({ready!r}).touch()
            if window.settings.watched_folders and window.photos_model.rowCount() == 1:
                window.close()
                qt.quit()
                return
        QTimer.singleShot(50, watch)
    QTimer.singleShot(50, watch)
    sys.exit(app.main())
"""


def test_a_second_start_hands_its_folder_to_the_first_and_exits(tmp_path, tiny_model_dir):
    Settings(model_dir=str(tiny_model_dir), first_run_done=True).save()
    folder = tmp_path / "photos"
    make_photo(folder / "a.jpg", "coffee", size=(120, 90))
    ready = tmp_path / "ready"
    first = start_python(FIRST_APP.format(ready=str(ready)))
    try:
        wait_for(lambda: ready.exists() or first.poll() is not None, 120, "the first window")
        assert first.poll() is None, first.communicate()[1][-3000:]
        started = time.monotonic()
        second = subprocess.run([sys.executable, "-m", "desktop_app", str(folder)],
                                capture_output=True, text=True, check=False, timeout=60)
        assert second.returncode == 0, second.stderr[-3000:]
        assert (second.stderr.strip().splitlines()[-1]
                == "Lookalike is already running; the folder was handed to it.")
        assert "Lookalike started" not in second.stderr  # no second window
        assert time.monotonic() - started < 30
        err = first.communicate(timeout=120)[1]
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, err[-3000:]
    assert Settings.load().watched_folders == [str(folder)]  # the first window saved it
    assert not (paths.config_dir() / "lookalike.lock").exists()


def test_a_lock_left_by_a_killed_app_does_not_block_a_new_start(tmp_path, tiny_model_dir):
    ready = tmp_path / "ready"
    holder = start_python(f"""
        import time
        from pathlib import Path
        from PySide6.QtCore import QCoreApplication
        from desktop_app import paths, single_instance
        qt = QCoreApplication([])
        held = single_instance.claim(paths.config_dir(), None)  # kept: lock and server
        assert held.first and held.server is not None
        Path({str(ready)!r}).touch()
        time.sleep(120)
    """)
    try:
        wait_for(lambda: ready.exists() or holder.poll() is not None, 60, "the lock")
        assert holder.poll() is None, holder.communicate()[1][-3000:]
    finally:
        holder.kill()  # SIGKILL: the lock file and the socket stay behind
        holder.communicate()
    assert (paths.config_dir() / "lookalike.lock").exists()
    Settings(model_dir=str(tiny_model_dir), first_run_done=True).save()
    folder = tmp_path / "photos"
    make_photo(folder / "a.jpg", "coffee", size=(120, 90))
    result = run_python(app_main_until_indexed(folder))
    assert result.returncode == 0, result.stderr[-3000:]
    assert Settings.load().watched_folders == [str(folder)]


def test_a_start_while_the_app_hangs_says_so_and_opens_no_window(tmp_path):
    config = paths.config_dir()
    held = InstanceLock(config)
    assert held.try_lock()
    server = InstanceServer(server_name(config))  # this process runs no event loop meanwhile
    assert server.listen()
    photo = make_photo(tmp_path / "p.jpg", "rocket", size=(80, 100))
    try:
        result = run_python(f"""
            import sys
            from desktop_app import app, single_instance
            single_instance.HANDOVER_TIMEOUT_S = 1
            sys.exit(app.main({str(photo)!r}))
        """, timeout=60)
    finally:
        server.close()
        held.unlock()
    assert result.returncode == 7  # cli.EXIT_APP_NOT_ANSWERING
    assert f"delete the lock file {config / 'lookalike.lock'}" in result.stderr
    assert "Lookalike started" not in result.stderr
