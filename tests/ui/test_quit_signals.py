"""Ctrl-C in the terminal `make app` (or `lookalike`) runs in, and SIGTERM, close the desktop app
the way its close button does. Ctrl-C did nothing at all (Qt's idle event loop runs no Python
code, so KeyboardInterrupt never came), and SIGTERM ended the process without its shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_and_sigterm_close_the_app_cleanly(tmp_path, photo_factory, lookalike_home,
                                                  signum):
    photo_factory("photos/cat.jpg", "chelsea")
    log = lookalike_home / "logs" / "lookalike.log"
    app = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", str(tmp_path / "photos")], cwd=tmp_path,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (log.is_file() and "Lookalike started" in log.read_text(encoding="utf-8")):
            assert app.poll() is None and time.monotonic() < deadline, app.poll()
            time.sleep(0.1)
        app.send_signal(signum)
        app.wait(timeout=30)  # before: Ctrl-C left it running
    finally:
        if app.poll() is None:
            app.kill()
        stderr = app.communicate()[1]
    assert app.returncode == 128 + signum, stderr[-3000:]  # 130, 143 as a shell says them
    assert f"{signal.Signals(signum).name} received: closing the window" in stderr
    assert "Traceback" not in stderr
    # The close button's shutdown ran: only closeEvent saves the window's geometry.
    settings = json.loads((lookalike_home / "config" / "settings.json").read_text("utf-8"))
    assert settings["window_geometry"]
    assert settings["watched_folders"] == [str(tmp_path / "photos")]
