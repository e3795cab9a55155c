"""`lookalike` (the desktop app) started where there is no display (over ssh, from cron or a
service), or where Qt's X11 plugin lacks a system library. Qt would abort the process (SIGABRT)
blaming its plugins; the user gets one line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from desktop_app import cli
from desktop_app.app import debian_package, missing_xcb_library, no_display, xcb_plugin_path


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


# -- a display, but a system library Qt's X11 plugin needs is not installed ---------------------
NOT_INSTALLED = "{}: cannot open shared object file: No such file or directory"
X11 = {"DISPLAY": ":0"}


def failing_load(library: str):
    def load(path):
        raise OSError(NOT_INSTALLED.format(library))
    return load


@pytest.mark.parametrize(("environ", "platform", "said"), [
    (X11, "linux", True),
    ({**X11, "QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({**X11, "QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-1"}, "linux", True),
    ({**X11, "WAYLAND_DISPLAY": "wayland-1"}, "linux", False),  # Qt may take Wayland
    ({**X11, "QT_QPA_PLATFORM": "wayland;xcb"}, "linux", False),
    ({**X11, "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
    ({**X11, "QT_PLUGIN_PATH": "/opt/qt/plugins"}, "linux", False),  # maybe another plugin
    ({}, "linux", False),  # no display: no_display() says that
    (X11, "freebsd14", False),
    (X11, "darwin", False),
])
def test_when_a_missing_xcb_library_is_said(environ, platform, said, tmp_path):
    environ = {"XDG_RUNTIME_DIR": str(tmp_path), **environ}  # no Wayland socket in it
    library, plugin = missing_xcb_library(environ, platform, plugin="/qt/libqxcb.so",
                                          load=failing_load("libxcb-cursor.so.0"))
    assert (library, plugin) == (("libxcb-cursor.so.0", "/qt/libqxcb.so") if said else ("", ""))


def test_only_a_library_the_loader_cannot_find_is_said(tmp_path):
    """Other load errors (a symbol, a Qt library of the wheel itself) are Qt's to report."""
    environ = {**X11, "XDG_RUNTIME_DIR": str(tmp_path)}

    def loaded(path):
        return None

    def bad_symbol(path):
        raise OSError("/qt/libqxcb.so: undefined symbol: xcb_cursor_load_cursor")

    for load in (loaded, bad_symbol, failing_load("libQt6XcbQpa.so.6")):
        assert missing_xcb_library(environ, "linux", plugin="/qt/libqxcb.so",
                                   load=load) == ("", "")
    assert missing_xcb_library(environ, "linux", plugin="", load=bad_symbol) == ("", "")


@pytest.mark.parametrize(("library", "package"), [
    ("libxcb-cursor.so.0", "libxcb-cursor0"), ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"), ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libxcb-sync.so.1.0.0", "libxcb-sync1"),
])
def test_the_debian_package_of_a_library(library, package):
    assert debian_package(library) == package


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's loader")
def test_the_probe_agrees_with_ldd_on_the_real_plugin(tmp_path):
    """The real plugin of this PySide6, loaded as the app does: a library is said exactly when
    ldd finds one missing (it names the first; ldd lists them all)."""
    plugin = xcb_plugin_path()
    if not plugin or shutil.which("ldd") is None:
        pytest.skip("no xcb plugin in this PySide6 (not a pip wheel), or no ldd")
    ldd = subprocess.run(["ldd", plugin], capture_output=True, text=True, check=False)
    missing = re.findall(r"^\s*(\S+) => not found", ldd.stdout, re.MULTILINE)
    library, said_plugin = missing_xcb_library({**X11, "XDG_RUNTIME_DIR": str(tmp_path)}, "linux")
    assert bool(library) == bool(missing), (library, ldd.stdout)
    assert not library or (library in missing and said_plugin == plugin)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 only")
def test_the_app_with_an_xcb_library_missing_says_which_and_exits_6(tmp_path):
    """Qt aborts (exit 134) with "Could not load the Qt platform plugin" and a reinstall hint,
    naming xcb-cursor0 even when another library is the one missing. The missing library is
    simulated in the child: the system's loader is asked for a name that is not installed."""
    if not xcb_plugin_path():
        pytest.skip("no xcb plugin in this PySide6 (not a pip wheel)")
    code = ("import sys\nfrom desktop_app import app\n"
            "def load(path):\n"
            "    raise OSError(" + repr(NOT_INSTALLED.format("libxcb-cursor.so.0")) + ")\n"
            "app._load_library = load\nsys.exit(app.main())\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "QT_PLUGIN_PATH")}
    env.update(DISPLAY=":93", XDG_RUNTIME_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == cli.EXIT_MISSING_PART == 6, done.stderr[-3000:]
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("lookalike: the desktop app cannot open its window: Qt's X11 plugin "
                           "needs the system library libxcb-cursor.so.0, which is not installed.")
    assert "`sudo apt install libxcb-cursor0`" in line and f"`ldd {xcb_plugin_path()} " in line
    assert "qt.qpa" not in done.stderr and "Reinstalling" not in done.stderr
