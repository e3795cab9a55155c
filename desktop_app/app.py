"""The desktop app's entry point: `lookalike`, `lookalike FOLDER` or `lookalike PHOTO`.

Sets up logging to a file in paths.log_dir(), an excepthook that shows unexpected errors in a
dialog (and logs them) instead of crashing, loads the settings, and opens the main window, or
hands the argument to the app already running on this LOOKALIKE_HOME (single_instance).
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import os
import re
import signal
import sys
import threading
import traceback

from . import paths
from .core import crash_journal
from .log import LogFile

log = logging.getLogger("desktop_app")


def setup_logging(verbose: int = 0) -> None:
    """Info by default (the app's log is for bug reports); `lookalike -v` adds debug output,
    LOOKALIKE_LOG=LEVEL overrides both."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    try:
        paths.log_dir().mkdir(parents=True, exist_ok=True)
        handlers.append(LogFile(
            paths.log_dir() / "lookalike.log", maxBytes=2_000_000, backupCount=3,
            encoding="utf-8"))
    except OSError as exc:  # a read-only home must not stop the app
        print(f"lookalike: cannot write logs to {paths.log_dir()} ({exc})", file=sys.stderr)
    wanted = os.environ.get("LOOKALIKE_LOG", "").strip().upper()
    # A name logging does not know (a typo) would stop the app with a traceback.
    known = isinstance(logging.getLevelName(wanted), int)
    level = wanted if known else "DEBUG" if verbose else "INFO"
    logging.basicConfig(level=level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        handlers=handlers, force=True)
    if wanted and not known:
        log.warning("LOOKALIKE_LOG=%s is not a log level (DEBUG, INFO, WARNING or ERROR); "
                    "logging at %s", os.environ["LOOKALIKE_LOG"], level)


def install_excepthook() -> None:
    """Unexpected errors in slots would otherwise abort the app (PySide6 calls sys.excepthook
    and carries on), and a Python thread's went to stderr alone. Show them once, with where
    the log is, and keep running."""

    showing = []

    def show(value, text: str) -> None:  # on the GUI thread
        if showing:  # one dialog at a time; the rest are in the log
            return
        showing.append(True)
        try:
            from PySide6.QtWidgets import QMessageBox

            box = QMessageBox(QMessageBox.Icon.Warning, "Lookalike",
                              f"Something went wrong: {value}\n\nLookalike keeps running. "
                              f"Details are in {paths.log_dir() / 'lookalike.log'}.")
            box.setDetailedText(text)
            box.exec()
        except Exception:  # the hook itself must never raise
            log.debug("could not show the error dialog", exc_info=True)
        finally:
            showing.clear()

    def hook(kind, value, tb) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        log.error("unexpected error:\n%s", text)
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        try:
            from PySide6.QtCore import QThread, QTimer
            from PySide6.QtWidgets import QApplication

            app = QApplication.instance()
            if app is None:
                return
            if QThread.currentThread() is app.thread():
                show(value, text)
            else:
                # An error in a pool's job: a message box works on the GUI thread only. Opened
                # on the pool's thread it never answered, and when that came as the app ended,
                # the app never ended. The GUI thread shows it next time round its loop (never,
                # once the app has ended: it is in the log).
                QTimer.singleShot(0, app, lambda: show(value, text))
        except Exception:  # the hook itself must never raise
            log.debug("could not show the error dialog", exc_info=True)

    def thread_hook(args) -> None:
        # A Python thread's error (the trash's move, the housekeeping, the watcher's threads)
        # comes here, not to sys.excepthook: it went to stderr alone, neither logged nor shown.
        if not issubclass(args.exc_type, SystemExit):  # (ends its thread quietly, as before)
            hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook


def configure_runtime() -> None:
    """Hand the GIL over sooner (1 ms instead of 5 ms): the GUI thread asks for it on every
    paint (item models are Python), and the indexer must not make it wait."""
    sys.setswitchinterval(0.001)


def freeze_startup_objects() -> int:
    """Take the objects made while starting (modules, classes, functions, the window's widgets)
    out of the garbage collector's walks, which hold the GIL: a full collection walked them
    all, 65 ms at once in bench/gui_stall.py, on the GUI thread or stopping it from another
    one. They live as long as the app does; the few cycles already garbage now are never
    freed (kilobytes). Returns how many objects were frozen."""
    gc.freeze()
    return gc.get_freeze_count()


def no_display(environ=os.environ, platform: str = sys.platform) -> str:
    """Why Qt would find no display server to open the window on, or "" (one is there, or
    QT_QPA_PLATFORM names a platform that needs none: offscreen, vnc, eglfs...). Qt's own
    failure aborts the process, blaming plugins and suggesting a reinstall."""
    if platform in ("win32", "darwin", "cygwin"):
        return ""
    names = [n.split(":", 1)[0].strip() for n in environ.get("QT_QPA_PLATFORM", "").split(";")]
    if any(n and not n.startswith(("xcb", "wayland")) for n in names):
        return ""
    # WAYLAND_SOCKET: a connection the compositor handed over (libwayland takes it first).
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY") or environ.get("WAYLAND_SOCKET"):
        return ""
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.exists(os.path.join(runtime, "wayland-0")):  # Wayland's default
        return ""
    return "neither DISPLAY nor WAYLAND_DISPLAY is set"


# What the system's loader says when a library a plugin needs is not installed.
_NOT_INSTALLED = re.compile(r"([^\s:/]+\.so(?:\.\d+)*): cannot open shared object file")


def _load_library(path: str) -> None:
    """dlopen `path` and the libraries it needs (those Qt loads anyway, a moment later)."""
    import ctypes

    ctypes.CDLL(path)


def xcb_plugin_path() -> str:
    """The pip wheel's xcb platform plugin ("" when PySide6 is not a wheel that holds one: a
    distribution's PySide6 comes with its dependencies, as packages)."""
    spec = importlib.util.find_spec("PySide6")  # found, not imported
    for folder in (spec.submodule_search_locations or []) if spec else []:
        plugin = os.path.join(folder, "Qt", "plugins", "platforms", "libqxcb.so")
        if os.path.isfile(plugin):
            return plugin
    return ""


def missing_xcb_library(environ=os.environ, platform: str = sys.platform,
                        plugin: str | None = None, load=None) -> tuple[str, str]:
    """(the library, the plugin) when Qt would open the window on X11 but its xcb plugin
    cannot be loaded for want of a system library (libxcb-cursor0 on Debian and Ubuntu, and a
    few more that pip cannot install), else ("", ""). Qt aborts the process there (exit 134),
    suggesting a reinstall and sometimes naming a library that is there. Said only when sure:
    X11 the one choice, the wheel's own plugin, and the system's loader naming the library."""
    if not platform.startswith("linux") or not environ.get("DISPLAY"):
        return "", ""
    if environ.get("QT_PLUGIN_PATH") or environ.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        return "", ""  # another plugin may be the one loaded
    names = [n.split(":", 1)[0].strip() for n in environ.get("QT_QPA_PLATFORM", "").split(";")]
    names = [n for n in names if n]
    if names != ["xcb"]:
        if names or environ.get("WAYLAND_DISPLAY") or environ.get("WAYLAND_SOCKET"):
            return "", ""  # another platform chosen, or Wayland tried first
        runtime = environ.get("XDG_RUNTIME_DIR")
        if runtime and os.path.exists(os.path.join(runtime, "wayland-0")):
            return "", ""
    plugin = xcb_plugin_path() if plugin is None else plugin
    if not plugin:
        return "", ""
    try:
        (load or _load_library)(plugin)
    except OSError as exc:
        found = _NOT_INSTALLED.search(str(exc))
        # A Qt library of the wheel itself missing is a broken install: Qt says it.
        if found and not found.group(1).startswith("libQt"):
            return found.group(1), plugin
    return "", ""


def debian_package(library: str) -> str:
    """Debian's name for the package of `library` (libxcb-cursor.so.0 -> libxcb-cursor0,
    libxkbcommon-x11.so.0 -> libxkbcommon-x11-0): its soname, lower case."""
    stem, _, version = library.partition(".so")
    version = version.lstrip(".").split(".", 1)[0]
    return (stem + ("-" if stem[-1:].isdigit() else "") + version).lower()


def main(folder: str | None = None, verbose: int = 0) -> int:
    """The desktop app; `folder` is added to the library, or, when it is a file, searched
    with (`lookalike PHOTO`, a file manager's "Open with Lookalike"). One app runs per
    LOOKALIKE_HOME: if one is running already, `folder` is handed to it (see single_instance)."""
    setup_logging(verbose)
    install_excepthook()
    configure_runtime()
    # Both said before Qt starts: without a display it aborts the process, and before the
    # window (and its indexer thread) exists the exit is clean.
    if folder and not os.path.exists(folder):
        print(f"lookalike: {os.path.abspath(folder)}: there is no folder or photo here. Check "
              "the path (is the drive connected?).", file=sys.stderr)
        return 2
    why = no_display()
    if why:
        from .cli import EXIT_NO_DISPLAY

        print(f"lookalike: the desktop app has no display to open its window on ({why}: "
              "started over ssh, or from a service?). Start it in your desktop session, or "
              "over `ssh -X`; the commands (index, similar, duplicates...) need no display: "
              "see `lookalike --help`.", file=sys.stderr)
        return EXIT_NO_DISPLAY
    library, plugin = missing_xcb_library()
    if library:
        from .cli import EXIT_MISSING_PART

        print(f"lookalike: the desktop app cannot open its window: Qt's X11 plugin needs the "
              f"system library {library}, which is not installed. Install it (Debian, Ubuntu: "
              f"`sudo apt install {debian_package(library)}`; elsewhere the package that "
              f"provides {library}; `ldd {plugin} | grep 'not found'` lists any other library "
              "missing), then start Lookalike again. The commands (index, similar, "
              "duplicates...) need none: see `lookalike --help`.", file=sys.stderr)
        return EXIT_MISSING_PART
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from . import single_instance
    from .settings import Settings
    from .ui.main_window import MainWindow
    from .ui.quit_signals import quit_on_signals
    from .ui.visible_boxes import use_visible_boxes

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Lookalike")
    app.setOrganizationName("Lookalike")
    app.setDesktopFileName("lookalike")
    target = os.path.abspath(folder) if folder else None
    claim = single_instance.claim(paths.config_dir(), target)
    if claim.handed_over:
        print(f"Lookalike is already running; {handed_over_what(target)}.", file=sys.stderr)
        return 0
    if not claim.first:
        from .cli import EXIT_APP_NOT_ANSWERING

        print(claim.no_answer_message(single_instance.HANDOVER_TIMEOUT_S), file=sys.stderr)
        return EXIT_APP_NOT_ANSWERING
    stop_listening = put_back = None
    try:
        icon = paths.resources_dir() / "icons" / "lookalike.svg"
        if icon.is_file():
            app.setWindowIcon(QIcon(str(icon)))
        use_visible_boxes(app)  # an unticked box drawn that shows, in a dark palette too
        style = paths.resources_dir() / "style" / "app.qss"
        if style.is_file():  # small additions only; colours come from the system theme
            app.setStyleSheet(style.read_text(encoding="utf-8"))
        settings = Settings.load()
        window = MainWindow(settings, left_by_crashes=take_in_crashes())

        def close_on_a_signal() -> None:
            # Ended on purpose: a second Ctrl-C, or the SIGKILL a logout sends after its
            # SIGTERM, ends the process at once, its decodes too, none of them to blame.
            crash_journal.discard()
            window.close()

        stop_listening = quit_on_signals(app, close_on_a_signal)  # Ctrl-C, SIGTERM: a clean close
        # Its terminal closed (SIGHUP), Ctrl-\ (SIGQUIT): ended at once, as before, on purpose.
        put_back = crash_journal.discard_on_signals(*(
            getattr(signal, name) for name in ("SIGHUP", "SIGQUIT") if hasattr(signal, name)))
        window.show()
        freeze_startup_objects()
        open_argument(window, target)
        if claim.server is not None:
            claim.server.set_handler(lambda argument: handed_over(window, argument))
        log.info("Lookalike started (data in %s)", paths.data_dir())
        return app.exec()
    finally:
        if put_back is not None:
            put_back()
        if stop_listening is not None:
            stop_listening()
        claim.release()
        crash_journal.uninstall()  # ended on purpose: no photo of its journal is to blame


def take_in_crashes() -> tuple[list[tuple[str, str]], list]:
    """Start this process's journal of the photos it decodes (core/crash_journal), then take in
    what the journals of Lookalikes that died in a decoder left: each photo recorded as failed
    in the library (on a connection of its own, before the indexer opens it), so that it cannot
    stop this one. Returns ((path, message) of each recorded, the crashes not recorded), for
    the window to say."""
    crash_journal.install(paths.data_dir())
    crashes = crash_journal.left_by_crashes(paths.data_dir())
    if not crashes or not paths.database_path().is_file():  # no library: none of its photos
        return [], crashes
    from .core.errors import LookalikeError
    from .core.library import record_crashes
    from .core.store import Store

    try:
        with Store() as store:
            return record_crashes(store, crashes)
    except LookalikeError as exc:  # the window says what is wrong with the library
        log.warning("the photos Lookalike stopped on could not be recorded: %s", exc)
        return [], crashes


def open_argument(window, target: str | None) -> None:
    """`lookalike FOLDER` adds the folder, `lookalike PHOTO` searches with the photo."""
    if target and os.path.isdir(target):
        window.add_folder(target)
    elif target:
        window.search_when_ready(target)


def handed_over(window, target: str | None) -> None:
    """A later start's argument: the window comes to the front, then takes it."""
    from PySide6.QtCore import Qt

    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()
    open_argument(window, target)


def handed_over_what(target: str | None) -> str:
    """The end of the note a later start prints."""
    if target is None:
        return "its window was brought to the front"
    return f"the {'folder' if os.path.isdir(target) else 'photo'} was handed to it"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
