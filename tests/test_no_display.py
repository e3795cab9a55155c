"""`lookalike` (the desktop app) started where there is no display: over ssh, from cron or a
service. Qt would abort the process (SIGABRT) blaming its plugins; the user gets one line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from desktop_app import cli
from desktop_app.app import no_display


def run_without_display(args: list[str], tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env["XDG_RUNTIME_DIR"] = str(tmp_path)  # no Wayland socket in it
    return subprocess.run([sys.executable, "-m", "desktop_app", *args], capture_output=True,
                          text=True, check=False, env=env, cwd=tmp_path, timeout=120)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="X11 and Wayland only")
def test_the_app_without_a_display_says_so_and_exits_8(tmp_path):
    done = run_without_display([], tmp_path)
    assert done.returncode == cli.EXIT_NO_DISPLAY == 8, done.stderr[-3000:]
    assert done.stderr.startswith("lookalike: the desktop app has no display to open its "
                                  "window on (neither DISPLAY nor WAYLAND_DISPLAY is set")
    assert "`lookalike --help`" in done.stderr
    assert "qt.qpa" not in done.stderr and "Reinstalling" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="X11 and Wayland only")
def test_a_photo_that_is_not_there_is_said_first_also_without_a_display(tmp_path):
    missing = tmp_path / "holiday.jpg"
    done = run_without_display(["app", str(missing)], tmp_path)
    assert done.returncode == cli.EXIT_USAGE, done.stderr[-3000:]
    assert done.stderr.strip() == (f"lookalike: {missing}: there is no folder or photo here. "
                                   "Check the path (is the drive connected?).")


@pytest.mark.parametrize(("environ", "platform", "missing"), [
    ({}, "linux", True),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({"QT_QPA_PLATFORM": "wayland;xcb"}, "linux", True),
    ({"DISPLAY": ":0"}, "linux", False),
    ({"WAYLAND_DISPLAY": "wayland-1"}, "linux", False),
    ({"WAYLAND_SOCKET": "3", "XDG_SESSION_TYPE": "wayland"}, "linux", False),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
    ({"QT_QPA_PLATFORM": "vnc:size=1280x800"}, "freebsd14", False),
    ({}, "darwin", False),
    ({}, "win32", False),
])
def test_what_counts_as_no_display(environ, platform, missing):
    assert bool(no_display(environ, platform)) is missing
