"""The `lookalike` command: index folders and search them without a screen.

    lookalike                       open the desktop app
    lookalike FOLDER                open the desktop app and add FOLDER to the library
    lookalike PHOTO                 open the desktop app and search with PHOTO
    lookalike index FOLDER...       add folders to the library and index them
    lookalike similar PHOTO...      the most similar photos to each PHOTO (in the library or not)
    lookalike duplicates            groups of near-identical photos
    lookalike status                counts, active model, photos that failed and why
    lookalike forget FOLDER...      remove folders (and their photos) from the library
    lookalike models [list|import DIR|activate NAME|DIR]
    lookalike train ...             train a model (needs the `train` extra)

Exit codes are listed in EXIT_CODES (and `lookalike --help`).
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import re
import shlex
import shutil
import signal
import sys
import textwrap
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import __version__, paths
from .cli_progress import ProgressBar, say
from .core.errors import LookalikeError, ModelError, PhotoReadError, StoreError
from .log import save_crash_report, setup_logging, unshown
from .log import shown as _show  # a path or message, printable on one line

EXIT_OK = 0
EXIT_ERROR = 1  # unexpected error (a bug: please report it)
EXIT_USAGE = 2  # bad command line, or a folder/photo given on it cannot be used
EXIT_PARTIAL = 3  # finished, but some photos could not be read (see `lookalike status`)
EXIT_MODEL = 4  # no usable model (missing, damaged, fails its self-test)
EXIT_STORE = 5  # the library database cannot be opened or written (newer version, disk full)
EXIT_MISSING_PART = 6  # an optional part is not installed (the desktop app, the trainer)
# the desktop app already running on this library does not answer, or runs on another computer
EXIT_APP_NOT_ANSWERING = 7
EXIT_NO_DISPLAY = 8  # the desktop app has no display to open on (DISPLAY, WAYLAND_DISPLAY unset)
EXIT_INTERRUPTED = 130  # stopped with Ctrl-C; work done so far is kept, run again to resume

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_ERROR: "unexpected error (please report it; details saved as crash-*.txt in the logs)",
    EXIT_USAGE: "bad command line, or a folder/photo named on it cannot be used",
    EXIT_PARTIAL: "finished, but some photos could not be read (see `lookalike status`)",
    EXIT_MODEL: "no usable model (missing, damaged or failing its self-test)",
    EXIT_STORE: "the library database cannot be opened or written",
    EXIT_MISSING_PART: "an optional part (desktop app or trainer), or a system library the "
                       "desktop app needs, is not installed",
    EXIT_APP_NOT_ANSWERING: "the desktop app already running on this library did not answer, "
                            "or runs on another computer",
    EXIT_NO_DISPLAY: "the desktop app found no display to open its window on",
    EXIT_INTERRUPTED: "interrupted; work done so far is kept, run again to resume",
}

COMMANDS = ("index", "similar", "duplicates", "status", "forget", "models", "train", "app")


class CommandError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


# -- argument parsing -----------------------------------------------------------------------------
GLOBAL_OPTIONS = ("--model", "--progress", "--no-progress", "--verbose")


class _Parser(argparse.ArgumentParser):
    """lookalike's parser: a global option given after the command (`lookalike index
    --no-progress F`) is refused, as argparse does, but with the way to give it."""

    command: str | None = None  # set by parse_args: the command given, if any

    def parse_args(self, args=None, namespace=None):
        given = list(sys.argv[1:] if args is None else args)
        self.command = next((a for a in given if a in COMMANDS), None)
        return super().parse_args(given, namespace)

    def error(self, message: str):
        if "unrecognized arguments" in message:
            misplaced = [a for a in message.split(":", 1)[-1].split()
                         if a.split("=", 1)[0] in GLOBAL_OPTIONS or re.fullmatch(r"-v+", a)]
            if misplaced and self.command == "app":  # before it, they are refused too
                message += ". `lookalike app` takes only a FOLDER or a PHOTO"
            elif misplaced:
                option = misplaced[0].split("=", 1)[0]
                shown = "--model DIR" if option == "--model" else option
                message += (f". {option} is one of lookalike's global options, which go before "
                            f"the command: `lookalike {shown} COMMAND ...`")
        super().error(message)


# The top-level help is printed as written (to keep the exit codes' table), so it is wrapped
# here, to fit an 80-column terminal, or a narrower one as argparse wraps the options.
HELP_WIDTH = 79


def _help_width() -> int:
    # COLUMNS, else the terminal's width, as argparse reads it; a narrower terminal broke the
    # description and the exit codes mid-word.
    return max(min(HELP_WIDTH, shutil.get_terminal_size().columns - 1), 40)


def _exit_codes_help(width: int) -> str:
    return "exit codes:\n" + "\n".join(
        textwrap.fill(v, width, initial_indent=f"  {k:>3}  ", subsequent_indent=" " * 7)
        for k, v in EXIT_CODES.items())


def build_parser() -> argparse.ArgumentParser:
    width = _help_width()
    parser = _Parser(
        prog="lookalike", formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_exit_codes_help(width),
        description=textwrap.fill(
            "Find the photos that look like this one, in your own library. With no command, "
            "opens the desktop app; with just a FOLDER, opens it and adds that folder to the "
            "library; with just a PHOTO, opens it and searches with that photo. Global "
            "options go before the command.", width))
    parser.add_argument("--model", metavar="DIR",
                        help="use this model folder for this command only (the library's "
                             "active model is not changed)")
    parser.add_argument("--progress", action="store_true",
                        help="show progress on stderr even when it is not a terminal")
    parser.add_argument("--no-progress", action="store_true", help="never show progress")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output on stderr (-vv for debug)")
    parser.add_argument("--version", action="version", version=f"lookalike {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="add folders to the library and index their photos",
                       description="Add each FOLDER to the library (if new) and bring its index "
                                   "up to date: new and changed photos are encoded, moved and "
                                   "renamed ones keep their codes, deleted ones are removed. "
                                   "Ctrl-C stops cleanly; running again resumes.")
    p.add_argument("folders", nargs="+", metavar="FOLDER")
    p.add_argument("--retry-failed", action="store_true",
                   help="also read again the photos in these folders that failed before, "
                        "changed or not")
    p.add_argument("--json", action="store_true", help="print a JSON report on stdout")

    p = sub.add_parser("similar", help="list the photos most similar to each PHOTO",
                       description="For each PHOTO (inside the library or not), list the most "
                                   "similar photos in the library, closest first, with their "
                                   "Hamming distance (0 = same code). A photo outside the "
                                   "library is encoded on the fly and not stored. A camera's "
                                   "RAW+JPEG pair is one photo: its JPEG is listed, marked "
                                   "with its raw file.")
    p.add_argument("photos", nargs="+", metavar="PHOTO")
    p.add_argument("-k", type=_positive, default=10, metavar="N",
                   help="how many matches per photo (default 10)")
    p.add_argument("--max-distance", type=_non_negative, metavar="D",
                   help="only matches within this Hamming distance")
    p.add_argument("--json", action="store_true", help="print JSON on stdout")

    p = sub.add_parser("duplicates", help="groups of near-identical photos",
                       description="Groups of photos whose codes are within D bits of "
                                   "another photo of the group (0 = identical codes), so two "
                                   "photos of one group may be further apart. The first photo "
                                   "of each group is the one to keep (the camera's raw "
                                   "file, then most pixels, the camera's EXIF, HEIC, a name "
                                   "without a copy marker, the bigger file, the older file), "
                                   "and distances are to it. A camera's RAW+JPEG pair is one "
                                   "photo: alone it is no group, and in a group its raw "
                                   "stands for it, its JPEG not listed.")
    p.add_argument("--max-distance", type=_non_negative, default=None, metavar="D",
                   help="two photos within this Hamming distance (0 to the code's bits) are "
                        "in one group (default: one bit in eight of the model's code and at "
                        "least 2, 12 for the 96-bit default model)")
    p.add_argument("--json", action="store_true", help="print JSON on stdout")

    p = sub.add_parser("status", help="photo counts, active model, photos that failed and why",
                       description="Show the library: folders, photo counts, the active model "
                                   "and every photo that could not be read, with the reason.")
    p.add_argument("--json", action="store_true", help="print JSON on stdout")

    p = sub.add_parser("forget", help="remove folders and their photos from the library",
                       description="Remove each FOLDER (as `status` lists it) and its photos, "
                                   "with their codes, from the library. The files on disk are "
                                   "not touched; `lookalike index FOLDER` adds it back. A "
                                   "folder gone from the disk can be forgotten too.")
    p.add_argument("folders", nargs="+", metavar="FOLDER")
    p.add_argument("--json", action="store_true", help="print a JSON report on stdout")

    p = sub.add_parser("models", help="list, import and activate models", usage=_models_usage(),
                       description="Without an action, lists the models (like `models list`).")
    p.add_argument("--json", action="store_true", help="print JSON on stdout")
    msub = p.add_subparsers(dest="action", metavar="ACTION", prog="lookalike models")
    # SUPPRESS: an action's own --json default must not undo `models --json ACTION`.
    m = msub.add_parser("list", help="the models this library knows, the active one marked")
    m.add_argument("--json", action="store_true", help="print JSON on stdout",
                   default=argparse.SUPPRESS)
    m = msub.add_parser("import", help="check a model folder and copy it into Lookalike's data",
                        description="Check DIR (hash, self-test, and codes that vary from "
                                    "picture to picture) and copy it into the models "
                                    "folder. Add --activate to switch the library to it.")
    m.add_argument("dir", metavar="DIR")
    m.add_argument("--activate", action="store_true", help="also activate it (re-encodes)")
    m.add_argument("--json", action="store_true", help="print JSON on stdout",
                   default=argparse.SUPPRESS)
    m = msub.add_parser("activate", help="re-encode the library with a model and make it active",
                        description="Encode every photo with the model (by NAME or id prefix "
                                    "from `models list`, or a model folder DIR, which is "
                                    "imported first), keeping the old codes; then make it the "
                                    "active model. Stopped early, the old model stays active.")
    m.add_argument("target", metavar="NAME|DIR")  # not "model": that is the global --model
    m.add_argument("--json", action="store_true", help="print JSON on stdout",
                   default=argparse.SUPPRESS)

    sub.add_parser("train", help="train a model on your albums (needs the `train` extra); "
                                 "`lookalike train --help` for its options", add_help=False)
    p = sub.add_parser("app", help="open the desktop app (the same as no command)")
    p.add_argument("folder", nargs="?", metavar="FOLDER|PHOTO",
                   help="add FOLDER to the library, or search with PHOTO")
    return parser


def _models_usage() -> str:
    """`models`' usage, spelled out: argparse would show the optional ACTION as required. Its
    lines keep within argparse's width for usage lines (the terminal's, less 2: 76 columns did
    not fit a narrower one), lining up under the first's options as argparse's do, the ACTION's
    choices broken after a "|" (or lined up under "usage:" when that leaves too little room)."""
    width = shutil.get_terminal_size().columns - 2  # as argparse.HelpFormatter reads it
    prefix = "usage: lookalike models "
    choices = ["list |", "import DIR [--activate] |", "activate NAME|DIR]"]
    indent = len(prefix) if len(prefix) + 1 + max(map(len, choices)) <= width else len("usage: ")
    lines = ["%(prog)s [-h] [--json]"]
    line = " " * indent + "["
    for choice in choices:
        if line.strip(" [") and len(line) + 1 + len(choice) > width:
            lines.append(line)
            line = " " * (indent + 1)  # inside the bracket
        line += ("" if line.endswith((" ", "[")) else " ") + choice
    return "\n".join([*lines, line])


def _empty_argument(args: argparse.Namespace) -> str | None:
    """The name of a path argument given as "" (e.g. an unset shell variable), or None. Left
    through, "" would be taken as the current folder, or reported as missing without a name."""
    for dest, name in (("model", "--model"), ("photos", "PHOTO"), ("folders", "FOLDER"),
                       ("dir", "DIR"), ("target", "NAME|DIR"), ("folder", "FOLDER|PHOTO")):
        value = getattr(args, dest, None)
        if value == "" or (isinstance(value, list) and "" in value):
            return name
    return None


def _whole_number(text: str, least: int) -> int:
    # argparse names the option; a bare ValueError would print "invalid _positive value".
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < least:
        raise argparse.ArgumentTypeError(f"expected a whole number of {least} or more, not "
                                         f"{text!r}")
    return value


def _positive(text: str) -> int:
    return _whole_number(text, 1)


def _non_negative(text: str) -> int:
    return _whole_number(text, 0)


# -- entry point ---------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    _escape_what_cannot_be_printed()
    argv = list(sys.argv[1:] if argv is None else argv)
    command_at = _first_command(argv)
    if command_at is not None and argv[command_at] == "train":
        return _hand_over_to_trainer(argv[:command_at], argv[command_at + 1:])
    if command_at is None and not {"-h", "--help", "--version"} & set(argv):
        return _open_app(argv, None)
    if command_at is not None and argv[command_at] not in COMMANDS:
        folder = argv[command_at]  # or a photo: the app searches with it
        if os.path.exists(folder) and command_at == len(argv) - 1:
            return _open_app(argv[:command_at], folder)
        if os.path.isdir(folder):
            print(f"lookalike: '{folder}' is a folder, but `lookalike FOLDER` (open the app on "
                  "it) takes nothing after it; to index folders use `lookalike index "
                  "FOLDER...`. See `lookalike --help`.", file=sys.stderr)
            return EXIT_USAGE
        if os.path.exists(folder):
            print(f"lookalike: '{folder}' is a file, but `lookalike PHOTO` (open the app and "
                  "search with it) takes nothing after it; to list similar photos use "
                  "`lookalike similar PHOTO...`. See `lookalike --help`.", file=sys.stderr)
            return EXIT_USAGE
        if _looks_like_a_path(folder):  # "neither a command nor a photo" reads as "not a photo"
            print(f"lookalike: {os.path.abspath(folder)}: there is no folder or photo here. "
                  "Check the path (is the drive connected?).", file=sys.stderr)
            return EXIT_USAGE
        print(f"lookalike: '{folder}' is neither a command ({', '.join(COMMANDS)}) nor a "
              "folder or photo. See `lookalike --help`.", file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error
        return int(exc.code or 0)
    setup_logging(args.verbose)
    empty = _empty_argument(args)
    if empty is not None:
        print(f'lookalike: an empty path ("") was given for {empty}. Check the command line '
              "(an unset shell variable?).", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "app":
        refused = _refuse_command_options(args, "the desktop app")
        return refused if refused is not None else run_app(args.folder, args.verbose)
    try:
        with _stop_on_sigint(_first_ctrl_c_says(args)) as stop, _lock_waits_said():
            args.should_stop = stop
            return COMMAND_FUNCS[args.command](args)
    except CommandError as exc:
        print(f"lookalike: {_show(str(exc))}", file=sys.stderr)
        return exc.code
    except ModelError as exc:
        print(f"lookalike: {_show(str(exc))}", file=sys.stderr)
        return EXIT_MODEL
    except StoreError as exc:
        print(f"lookalike: {_show(str(exc))}", file=sys.stderr)
        return EXIT_STORE
    except LookalikeError as exc:
        print(f"lookalike: {_show(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("lookalike: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `lookalike similar ... | head`
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a bug: one line for the user, the details kept
        saved = save_crash_report(traceback.format_exc())  # None if it cannot be saved
        if args.verbose or saved is None:
            traceback.print_exc()
        print(f"lookalike: unexpected error ({type(exc).__name__}: {exc}). This is a bug in "
              "Lookalike; nothing already saved is lost. Please report it with the details "
              + (f"in {saved}" if saved else "above") + ".", file=sys.stderr)
        return EXIT_ERROR


def _escape_what_cannot_be_printed() -> None:
    """Text that stdout's or stderr's encoding cannot hold (写真 through a Windows pipe's code
    page, a name that is not UTF-8 left in a message) is written as \\uXXXX or \\xNN escapes:
    it raised UnicodeEncodeError, taken for a bug, with the work done but unsaid."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream.errors == "strict":
                stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):  # not a text stream we may change
            continue


def _looks_like_a_path(word: str) -> bool:
    """A folder or file name (holiday.jpg, ~/Pictures, ./x), not a mistyped command."""
    seps = tuple(s for s in (os.sep, os.altsep) if s)
    return any(s in word for s in seps) or word.startswith("~") or bool(Path(word).suffix)


def _first_command(argv: list[str]) -> int | None:
    """Index of the first argument that is not a global option (or an option's value)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--model":
            i += 2
            continue
        if not arg.startswith("-"):
            return i
        i += 1
    return None


def _first_ctrl_c_says(args) -> str:
    """What the first Ctrl-C does to this command, as it says it on stderr. Only `index`,
    `similar` and `models activate` (`models import --activate`) look at it (args.should_stop);
    the others go on, and said `index`'s "stopping after the current photos" all the same."""
    activating = args.command == "models" and (
        args.action == "activate" or (args.action == "import" and args.activate))
    if args.command == "index":
        return "stopping after the current photos; running it again resumes"
    if activating:
        return ("stopping after the current photos, and switching models only if no photo is "
                "left to encode")
    if args.command == "similar":
        return "stopping after the current photo; the answers so far are shown"
    name = " ".join(filter(None, (args.command, getattr(args, "action", None))))
    return f"`{name}` cannot stop halfway, so it goes on to the end"


@contextmanager
def _stop_on_sigint(says: str) -> Iterator:
    """First Ctrl-C asks the running work to stop cleanly (`says` what that does); a second one
    interrupts at once."""
    requested = []

    def handler(signum, frame):
        if requested:
            raise KeyboardInterrupt
        requested.append(signum)
        print(f"\nlookalike: {says} (Ctrl-C again to quit now)...", file=sys.stderr)

    stop = lambda: bool(requested)
    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (tests running main() in a thread)
        yield stop
        return
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _lock_waits_said() -> Iterator[None]:
    """A command that waits for another Lookalike's write lock on the library (the app indexing,
    another `lookalike index`), or reads one with a rollback journal while another commits, says
    so on stderr, once, after a moment (store.LOCK_WAIT_NOTICE_S): it printed nothing until it
    gave up (exit code 5) and seemed to hang."""
    from .core.store import lock_waits_told_to

    said = []

    def say_once(path: Path, timeout_s: float) -> None:
        if said:
            return
        said.append(path)
        say(f"lookalike: waiting for the library database {_show(os.path.abspath(path))}: "
            "another Lookalike (the app, or a `lookalike` command) is writing to it. This "
            f"command gives up after {timeout_s:g} s; Ctrl-C twice stops it now.")

    with lock_waits_told_to(say_once):
        yield


def _global_options(before: list[str], what: str) -> argparse.Namespace | int:
    """The global options given before the app or `train`, or an exit code when they cannot
    apply there: --model and the progress switches belong to lookalike's own commands, and
    silently dropping them would leave the user believing they took effect."""
    try:
        options = build_parser().parse_args(before)
    except SystemExit as exc:  # an unknown option: argparse has said so
        return int(exc.code or 0)
    refused = _refuse_command_options(options, what)
    return refused if refused is not None else options


def _refuse_command_options(options: argparse.Namespace, what: str) -> int | None:
    """EXIT_USAGE, said, when --model or a progress switch was given for `what` (the app or
    `train`), where it cannot apply; None when none was."""
    given = [name for name, on in (("--model", options.model), ("--progress", options.progress),
                                   ("--no-progress", options.no_progress)) if on]
    if not given:
        return None
    if what != "the desktop app":
        remedy = "Give the trainer's own options after `train` (see `lookalike train --help`)."
    elif given[0] == "--model":
        remedy = ("The app uses the library's active model: switch it in the app's Model tab "
                  "or with `lookalike models activate DIR`.")
    else:
        remedy = "The app shows its progress in its window: leave the option out."
    print(f"lookalike: {given[0]} applies to lookalike's commands (index, similar, ...), "
          f"not to {what}. {remedy}", file=sys.stderr)
    return EXIT_USAGE


def _open_app(before: list[str], folder: str | None) -> int:
    options = _global_options(before, "the desktop app")
    if isinstance(options, int):
        return options
    return run_app(folder, options.verbose)


# trainer.cli.SUBCOMMANDS, spelled out: the app never imports the trainer (a test checks they
# agree).
TRAINER_SUBCOMMANDS = ("prepare", "train", "evaluate", "export", "run", "inspect", "estimate")


def _hand_over_to_trainer(before: list[str], argv: list[str]) -> int:
    options = _global_options(before, "`lookalike train`")
    if isinstance(options, int):
        return options
    # The trainer's own -v goes after its sub-command, if one is named. `inspect` takes none
    # (and logs nothing more with it), and before a lone --help it would turn the trainer's
    # help into run's.
    if options.verbose and not (argv and argv[0] in ("inspect", "-h", "--help")):
        at = 1 if argv and argv[0] in TRAINER_SUBCOMMANDS else 0
        argv = [*argv[:at], "--verbose", *argv[at:]]
    return run_train(argv)


def run_app(folder: str | None, verbose: int = 0) -> int:
    try:
        from . import app
    except ImportError as exc:
        print(f"lookalike: the desktop app cannot start ({exc}). Install Lookalike with its "
              "GUI dependencies (`pip install -e '.[cpu]'`), or use the commands in "
              "`lookalike --help`.", file=sys.stderr)
        return EXIT_MISSING_PART
    return int(app.main(folder, verbose=verbose) or 0)


def run_train(argv: list[str]) -> int:
    import importlib.util

    try:
        if importlib.util.find_spec("torch") is None:  # checked without importing it here
            raise ImportError("No module named 'torch'")
        from trainer import cli as trainer_cli
    except (ImportError, ValueError) as exc:  # ValueError: find_spec on a half-imported module
        from .install_hint import train_install_hint

        print(f"lookalike: training needs the `train` extra, which is not installed ({exc}). "
              f"Install it with {train_install_hint()}.", file=sys.stderr)
        return EXIT_MISSING_PART
    return int(trainer_cli.main(argv, prog="lookalike train") or 0)


# -- shared helpers -----------------------------------------------------------------------------
def _progress_enabled(args) -> bool:
    if args.no_progress:
        return False
    return args.progress or sys.stderr.isatty()


def _open_store():
    from .core.store import Store, log_store_opened

    store = Store()
    log_store_opened(store)
    return store


def _open_store_to_read():
    """For commands that only read: an existing library is opened read-only, so they work on a
    read-only mount or file; one of an older schema is read as it is (store.READABLE_FROM). A
    new library, or one too old to read so, is opened for writing (as before)."""
    from .core.store import OutdatedSchemaError, Store, log_store_opened

    if paths.database_path().is_file():
        try:
            store = Store(readonly=True)
            log_store_opened(store)
            return store
        except OutdatedSchemaError:
            pass
    return _open_store()


def _open_library(args, store):
    from .core.library import PhotoLibrary
    from .core.model_registry import open_encoder

    # --model is for this command only: it never becomes the library's active model.
    library = PhotoLibrary(store, open_encoder(store, args.model),
                           activate_if_none=args.model is None)
    replaced = library.replaced_active_message()
    if replaced:  # another model exported into the active model's folder
        print(replaced, file=sys.stderr)
    return library


@contextmanager
def _decoding_journalled() -> Iterator[None]:
    """For a command that decodes photos: this process's journal of the photos it decodes
    (core/crash_journal), removed when the command ends, also at SIGTERM (`timeout`, a service
    manager), SIGHUP (its terminal closed, an ssh connection dropped) and SIGQUIT (Ctrl-\\): a
    process stopped on purpose did not crash on the photos it was reading."""
    from .core import crash_journal

    crash_journal.install(paths.data_dir())
    put_back = crash_journal.discard_on_signals(*(
        getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGQUIT")
        if hasattr(signal, name)))  # Windows has only SIGTERM
    try:
        yield
    finally:
        put_back()
        crash_journal.uninstall()


def _say_left_by_crashes(store) -> int:
    """The photos Lookalikes that died in a decoder were reading (core/crash_journal): recorded
    as failed in the library (opened to write for it when `store` is read-only), so that they
    cannot stop this one, and said on stderr, one line each. Returns how many were recorded."""
    from .core import crash_journal
    from .core.library import record_crashes
    from .core.store import Store

    crashes = crash_journal.left_by_crashes(paths.data_dir())
    if not crashes:
        return 0
    try:
        if store.readonly:
            with Store() as writable:
                recorded, unrecorded = record_crashes(writable, crashes)
        else:
            recorded, unrecorded = record_crashes(store, crashes)
    except LookalikeError as exc:  # said, and every photo with it
        print(f"lookalike: {_show(str(exc))}", file=sys.stderr)
        recorded, unrecorded = [], crashes
    for _path, message in recorded:
        print(f"lookalike: {_show(message)}", file=sys.stderr)
    for crash in unrecorded:
        print(f"lookalike: {_show(crash.notice())}", file=sys.stderr)
    return len(recorded)


def _print_json(data) -> None:
    """`data` as one JSON document on stdout, written at once (never half of one). Paths go in
    exact: a byte of a name that is not UTF-8 (a lone surrogate in Python) and any character a
    terminal would not show as itself are written as \\uXXXX escapes, which a parser reads back
    as the same text (os.fsencode gives the name's bytes back)."""
    # Written through an encoding other than UTF-8 (a pipe on Windows), only ASCII is safe.
    try:
        utf8 = codecs.lookup(sys.stdout.encoding).name == "utf-8"
    except (AttributeError, LookupError, TypeError):  # a stream with no (known) encoding
        utf8 = False
    text = json.dumps(data, indent=2, ensure_ascii=not utf8, default=str)
    sys.stdout.write(_IN_JSON.sub(_json_escaped, text) + "\n")
    sys.stdout.flush()


# Candidates for escaping: DEL and everything beyond ASCII, of which only the unprintable (in
# JSON text the C0 controls left are its own layout: JSON escapes those within strings).
_IN_JSON = re.compile(r"[^\x00-\x7e]")


def _json_escaped(match: re.Match) -> str:
    char = match[0]
    if not unshown(char):
        return char
    units = char.encode("utf-16-le", "surrogatepass")  # two units beyond U+FFFF
    return "".join(f"\\u{int.from_bytes(units[i:i + 2], 'little'):04x}"
                   for i in range(0, len(units), 2))


def _photos(count: int) -> str:
    """"1 photo", "2 photos"."""
    return f"{count} photo" if count == 1 else f"{count} photos"


def _match_json(match) -> dict:
    """A photo listed; `twins`: the files of its picture not listed (a camera's RAW+JPEG pair
    is one photo: a result's raw files, a duplicate's JPEG)."""
    return {"photo_id": match.photo_id, "path": match.path, "distance": match.distance,
            "similarity": round(match.similarity, 4), "twins": list(match.twins)}


def _twins_note(match, why: str = "") -> str:
    """The text output's mark of a photo that stands for a camera's RAW+JPEG pair, naming the
    twins not listed (one folder: their names), and `why`; "" for another photo."""
    from .core.raw_twins import pair_label

    if not match.twins:
        return ""
    names = ", ".join(_show(os.path.basename(twin)) for twin in match.twins)
    return f"  ({pair_label(match)}: {names}{why})"


def _group_json(group) -> list[dict]:
    """A duplicate group's photos: the first, the one to keep, says why (keeper.REASONS), the
    others null."""
    return [{**_match_json(m), "keep_because": group.why if i == 0 else None}
            for i, m in enumerate(group)]


# -- commands -----------------------------------------------------------------------------------
def cmd_index(args) -> int:
    from .core.records import IndexReport

    with _open_store() as store, _decoding_journalled():
        crashed = _say_left_by_crashes(store)  # unreadable photos: exit code 3
        library = _open_library(args, store)
        results = []
        total = IndexReport()
        for folder in args.folders:
            if os.path.isfile(folder):
                raise CommandError(f"{_show(folder)}: this is a file, not a folder. Give the "
                                   "folder that holds your photos.")
            if not os.path.isdir(folder):
                raise CommandError(f"{_show(folder)}: this folder does not exist. Check the path "
                                   "(is the drive connected?).")
        bars: list[ProgressBar] = []
        started: list[float] = []

        def progress_for(folder: str) -> ProgressBar:
            if bars:
                bars[-1].close()
            started.append(time.monotonic())
            bars.append(ProgressBar(f"Indexing {_show(os.path.basename(os.path.abspath(folder)))}",
                                    _progress_enabled(args)))
            return bars[-1]

        try:
            # All folders in one run: a photo moved from one to another keeps its codes.
            # Failed photos are retried in the same pass, so each photo is counted once.
            reports = library.index_folders(args.folders, should_stop=args.should_stop,
                                            progress_for=progress_for,
                                            retry_failed=args.retry_failed,
                                            looking=lambda found: bars[-1].looking(found))
        finally:
            if bars:
                bars[-1].close()
        started.append(time.monotonic())
        for i, (folder, report) in enumerate(zip(args.folders, reports)):
            total.merge(report)
            seconds = started[i + 1] - started[i]
            results.append({"folder": os.path.abspath(folder), "seconds": round(seconds, 3),
                            **_report_json(report)})
            if not args.json:
                print(f"{_show(os.path.abspath(folder))}: {report.summary()} "
                      f"in {seconds:.1f} s.")
            for path, message in report.errors:
                print(f"  ! {_show(message)}", file=sys.stderr)
        # `models activate` in another process may have switched the active model while this
        # ran: the photos encoded here have only the old model's codes, so say what to run.
        switched = (args.model is None and any(r.encoded for r in reports)
                    and store.active_model_id() not in (None, library.model_id))
        if switched:
            print("lookalike: the active model was switched (`lookalike models activate`) while "
                  "this ran, so the photos just indexed have no code from it yet. Run the same "
                  "`lookalike index` again to encode them.", file=sys.stderr)
        if args.json:
            _print_json({"model": library.encoder.card.name, "folders": results,
                         "library": library.counts()})
    if total.stopped:
        return EXIT_INTERRUPTED
    return EXIT_PARTIAL if total.failed or total.errors or switched or crashed else EXIT_OK


def _report_json(report) -> dict:
    return {"added": report.added, "updated": report.updated, "moved": report.moved,
            "removed": report.removed, "unchanged": report.unchanged, "failed": report.failed,
            "stopped": report.stopped,
            "errors": [{"path": p, "message": _show(m)} for p, m in report.errors]}


def cmd_similar(args) -> int:
    with _open_store_to_read() as store, _decoding_journalled():
        _say_left_by_crashes(store)
        library = _open_library(args, store)
        model = library.encoder.card.name
        answers, failed = [], 0
        stopped = False
        for query in args.photos:
            if args.should_stop():  # Ctrl-C: show the answers so far, skip the other photos
                stopped = True
                break
            entry = {"query": query, "in_library": False, "encoded": False,
                     "matches": [], "error": None, "note": "  (not in the library)"}
            try:
                _answer_similar(args, library, query, entry)
            except PhotoReadError as exc:
                entry["error"] = _show(str(exc))
                failed += 1
            answers.append(entry)
        if args.json:
            for entry in answers:
                del entry["note"]
                entry["matches"] = [_match_json(m) for m in entry["matches"]]
            _print_json({"model": model, "bits": library.bits,
                         "library_photos": len(library.search_index()), "results": answers,
                         "stopped": stopped})
        else:
            empty = len(library.search_index()) == 0
            for entry in answers:
                print(_show(entry["query"]) + entry["note"])
                if entry["error"]:  # on stderr only, in its place under the query
                    sys.stdout.flush()
                    print(f"  ! {entry['error']}", file=sys.stderr)
                elif not entry["matches"]:
                    print("  no matches" + (
                        f": no photo in the library is encoded with {_show(model)} yet. "
                        + _how_to_encode(args) if empty else
                        f" within {args.max_distance} bits" if args.max_distance is not None
                        else ""))
                for rank, m in enumerate(entry["matches"], 1):
                    print(f"  {rank:3d}. distance {m.distance:3d}  {_show(m.path)}"
                          + _twins_note(m))
        if args.json:  # the JSON holds the errors too, but a person reads stderr
            for entry in answers:
                if entry["error"]:
                    print(f"lookalike: {entry['error']}", file=sys.stderr)
    if stopped:
        return EXIT_INTERRUPTED
    return EXIT_USAGE if failed else EXIT_OK


def _answer_similar(args, library, query: str, entry: dict) -> None:
    """Fill `entry` with the matches (Matches, one per picture) of one query photo, and a note on
    where it stands: in the library with a code from this model, in it without one (failed, or
    another model), or not in it. Raises PhotoReadError."""
    own = library.photo_by_path(query)
    if own is not None:
        entry["in_library"] = True
        entry["encoded"] = library.search_index().code_of(own.id) is not None
    if entry["encoded"]:
        entry["note"] = ""
        matches = library.similar(own.id, k=args.k, max_distance=args.max_distance,
                                  one_per_picture=True)
        entry["matches"] = matches
        return
    if own is not None and own.status != "ok":
        entry["note"] = "  (in the library; could not be read when indexed)"
    elif own is not None:
        entry["note"] = (f"  (in the library, not encoded with {_show(library.encoder.card.name)} "
                         "yet)")
    if not os.path.exists(query):
        raise PhotoReadError(query, "this file does not exist", "Check the path")
    try:  # encoded on the fly, not stored
        matches = library.similar_to_file(query, k=args.k, max_distance=args.max_distance,
                                          one_per_picture=True)
    except PhotoReadError as exc:
        if own is None or own.status == "ok":
            raise _query_read_error(exc) from exc
        folder = next((f.path for f in library.folders() if f.id == own.folder_id), "FOLDER")
        raise PhotoReadError(None, str(exc), "Once it is fixed or replaced, run `lookalike "
                             f"index --retry-failed {shlex.quote(_show(folder))}`") from exc
    entry["matches"] = matches


# What indexing says of a photo it cannot read (it is tried again when the file changes, or at
# the next scan) does not hold for a photo given to `similar`: that one is read once, now.
_INDEXING_PROMISES = ("retried", "rescan", "picked up")


def _query_read_error(exc: PhotoReadError) -> PhotoReadError:
    """The error for a photo given to `similar` that cannot be read, with advice that holds."""
    if not any(word in exc.hint for word in _INDEXING_PROMISES):
        return exc
    if exc.reason == "permission denied":
        hint = "Give your user read access to the file, then run the command again"
    elif exc.reason.startswith("cannot read the file"):
        hint = "Check the disk or network share, then run the command again"
    elif "no longer exists" in exc.reason:
        hint = "Check the path"
    else:
        hint = ("If it is still being copied, run the command again once the copy is complete; "
                "otherwise check it in an image viewer, or give another photo")
    return PhotoReadError(exc.path, exc.reason, hint)


def _how_to_encode(args) -> str:
    """What to run so the library has codes from the model this command uses."""
    if args.model:
        model = shlex.quote(_show(args.model))
        return (f"Encode the library with it: `lookalike --model {model} index FOLDER...`, "
                f"or make it the active model with `lookalike models activate {model}`.")
    return "Index your folders with `lookalike index FOLDER...`."


def cmd_duplicates(args) -> int:
    # The keeper reads headers with LibRaw and pillow-heif (native code), journalled too.
    with _open_store_to_read() as store, _decoding_journalled():
        _say_left_by_crashes(store)
        library = _open_library(args, store)
        if args.max_distance is None:
            from .core.duplicates import default_duplicate_distance

            args.max_distance = default_duplicate_distance(library.bits)
        if args.max_distance > library.bits:  # no two codes differ in more bits: one group
            raise CommandError(f"--max-distance {args.max_distance} is more than the "
                               f"{library.bits} bits of {library.encoder.card.name}'s codes. "
                               f"Give a distance from 0 to {library.bits}.")
        from .core.keeper import keeper_first

        index = library.search_index()
        contents = library.shared_contents()  # copies of one content: one header read for all
        # As the app's Duplicates tab: a RAW+JPEG pair is one photo, its raw (no group alone).
        groups = [keeper_first(g, index, contents=contents) for g in
                  library.duplicates(max_distance=args.max_distance, one_per_picture=True)]
        if args.json:
            _print_json({"model": library.encoder.card.name, "bits": library.bits,
                         "max_distance": args.max_distance,
                         "groups": [_group_json(g) for g in groups]})
        else:
            if not groups and len(index) == 0:
                # Not "none found": nothing was compared (as `similar` says it).
                print("No near-identical photos: no photo in the library is encoded with "
                      f"{_show(library.encoder.card.name)} yet. " + _how_to_encode(args))
            elif not groups:
                print(f"No near-identical photos (within {args.max_distance} bits).")
            for number, group in enumerate(groups, 1):
                print(f"Group {number} ({len(group)} photos), keep the first: {group.why}")
                for m in group:
                    print(f"  distance {m.distance:3d}  {_show(m.path)}"
                          + _twins_note(m, ", the same photo, not listed"))
    return EXIT_OK


def cmd_status(args) -> int:
    from .core.library import STATUS_FAILED
    from .core.model_registry import active_model_dir, open_encoder, split_replaced

    with _open_store_to_read() as store:
        # --model is checked as every command checks it, and the counts are for that model.
        chosen = open_encoder(store, args.model).card if args.model else None
        active_id = store.active_model_id()
        model = store.model(active_id) if active_id else None
        # Its folder holds another model now (an update shipped another default): said below.
        replaced = split_replaced([model])[1] if model else []
        try:
            model_dir = str(active_model_dir(store))
            model_problem = None
        except ModelError as exc:
            model_dir, model_problem = None, str(exc)
        (photos, failed), = store.query(
            "SELECT COUNT(*), COALESCE(SUM(status = ?), 0) FROM photos", (STATUS_FAILED,))
        # With no active model yet (only --model used), count photos with any code.
        counted_id = chosen.model_id if chosen else active_id
        indexed = store.query("SELECT COUNT(*) FROM codes WHERE model_id = ?",
                              (counted_id,))[0][0] if counted_id else \
            store.query("SELECT COUNT(DISTINCT photo_id) FROM codes")[0][0]
        # Readable photos with no code from that model: left out of searches until encoded
        # (e.g. indexed by another process during `models activate`, or on an unplugged drive).
        not_encoded = store.query(
            "SELECT COUNT(*) FROM photos p WHERE p.status != ? AND NOT EXISTS (SELECT 1 FROM "
            "codes c WHERE c.photo_id = p.id AND c.model_id = ?)",
            (STATUS_FAILED, counted_id))[0][0] if counted_id else 0
        # "missing": gone from the disk now (an unplugged drive?); its photos are kept.
        folders = [{"path": path, "photos": store.query(
            "SELECT COUNT(*) FROM photos WHERE folder_id = ?", (fid,))[0][0],
            "missing": not os.path.isdir(path)}
            for fid, path, _added in store.folder_rows()]
        failures = [{"path": r[1], "error": _show(r[8] or "")}
                    for r in store.photo_rows("WHERE status = ? ORDER BY path", (STATUS_FAILED,))]
        data = {
            "database": os.path.abspath(store.path),  # LOOKALIKE_HOME may be relative
            "folders": folders,
            "photos": photos, "indexed": indexed, "failed": failed, "not_encoded": not_encoded,
            "active_model": ({"id": model["id"], "name": model["name"], "bits": model["bits"],
                              "path": model["path"]} if model else None),
            # What the plain output says of it (an update shipped another default, or a model
            # was exported into its folder): a script sees the switch to come, too.
            "active_model_replacement": _replacement_json(*replaced[0]) if replaced else None,
            "model_dir": model_dir, "model_problem": model_problem,
            "model": ({"id": chosen.model_id, "name": chosen.name, "bits": chosen.bits,
                       "path": os.path.abspath(args.model)} if chosen else None),
            "failures": failures,
        }
    if args.json:
        _print_json(data)
        return EXIT_OK
    print(f"Library: {_show(data['database'])}")
    print(f"Folders: {len(folders)}")
    for f in folders:
        missing = "; not on disk now" if f["missing"] else ""
        print(f"  {_show(f['path'])}  ({_photos(f['photos'])}{missing})")
    counted_with = (f" with {_show(chosen.name)}" if chosen else
                    " with the active model" if model else "")
    print(f"Photos: {photos} ({indexed} indexed{counted_with}, "
          f"{failed} failed)")
    if not_encoded:
        name = chosen.name if chosen else model["name"] if model else "the active model"
        fix = _how_to_encode(args) if chosen else (
            "Run `lookalike index FOLDER` for their folders, or `lookalike models activate "
            f"{shlex.quote(name)}` again.")
        print(f"Not encoded with {_show(name)} yet: {_photos(not_encoded)}, left out of similar "
              f"and duplicates. {fix}")
    if model:
        print(f"Active model: {_show(model['name'])} ({model['bits']} bits, id "
              f"{model['id'][:12]})")
        for m, card in replaced:
            print(_replaced_active_line(m, card))
    elif model_dir:
        print(f"Active model: none yet; the default model will be used ({_show(model_dir)})")
    if model_problem:
        print(f"Model problem: {_show(model_problem)}")
    if chosen:
        print(f"Model for this command: {_show(chosen.name)} ({chosen.bits} bits, id "
              f"{chosen.model_id[:12]})")
    if failures:
        print("Photos that could not be read:")
        for f in failures:
            print(f"  {f['error']}")
    return EXIT_OK


def cmd_forget(args) -> int:
    from .core.scan import is_under, normalise_folder

    with _open_store() as store:
        known = {path: fid for fid, path, _added in store.folder_rows()}
        chosen = []
        for given in args.folders:  # all checked before any is forgotten
            path = normalise_folder(given)
            if path not in known and os.path.abspath(given) in known:
                path = os.path.abspath(given)  # a symlink to it that now points elsewhere
            if path in known:
                chosen.append(path)
                continue
            parent = next((f for f in known if is_under(path, f)), None)
            if parent is not None:
                raise CommandError(f"{_show(given)}: this folder is inside the library folder "
                                   f"{_show(parent)}, not one itself. Forget {_show(parent)}, "
                                   "or index it again after moving the photos out.")
            raise CommandError(f"{_show(given)}: this is not a library folder. `lookalike "
                               "status` lists them.")
        forgotten = [{"folder": path, "photos": store.delete_folder(known[path])}
                     for path in dict.fromkeys(chosen)]
    if args.json:
        _print_json({"forgotten": forgotten})
    else:
        for f in forgotten:
            print(f"Forgot {_show(f['folder'])} ({_photos(f['photos'])}; the files are "
                  "untouched).")
    return EXIT_OK


def cmd_models(args) -> int:
    action = args.action or "list"
    if action == "list":
        return _models_list(args)
    if action == "import":
        return _models_import(args)
    return _models_activate(args, args.target)


def _models_list(args) -> int:
    from .core.model_registry import (
        encoded_counts,
        folders_not_in_library,
        readable_photos,
        split_replaced,
    )

    with _open_store_to_read() as store:
        # One row per folder: a model exported into a folder since replaces the one there.
        models, replaced = split_replaced(store.models())
        unused = folders_not_in_library(store)
        # Counted as the Model tab counts them: unreadable photos' codes are not searched.
        encoded, readable = encoded_counts(store), readable_photos(store)
    for m in [*models, *(m for m, _card in replaced)]:  # JSON "replaced" has them too
        m["codes"] = encoded.get(m["id"], 0)
    default = paths.default_model_dir()
    if args.json:
        _print_json({"models": models, "photos": readable, "default_model_dir": str(default),
                     "default_model_present": (default / "model.json").is_file(),
                     "not_used_yet": [{"id": card.model_id, "name": card.name,
                                       "bits": card.bits, "path": str(folder)}
                                      for folder, card in unused],
                     "replaced": [{**m, "replaced_by": card.model_id} for m, card in replaced]})
        return EXIT_OK
    # Not with the active model's line below: the library has a model, replaced in its folder.
    if not models and not unused and not any(m["active"] for m, _card in replaced):
        print("No models in this library yet." + (
            f" The default model ({_show(str(default))}) will be used when you index."
            if (default / "model.json").is_file() else
            " Import one with `lookalike models import DIR` or train one with `lookalike train`."))
    for m in models:
        mark = "*" if m["active"] else " "
        print(f"{mark} {_show(m['name']):<24} {m['bits']:3d} bits  id {m['id'][:12]}  "
              f"{m['codes']} of {_photos(readable)} encoded  {_show(m['path'] or '')}")
    for folder, card in unused:  # the app lists them too: trained or copied in, never used
        print(f"  {_show(card.name):<24} {card.bits:3d} bits  id {card.model_id[:12]}  not used "
              f"by this library yet  {_show(str(folder))}")
    for m, card in replaced:
        if m["active"]:  # else its row would be gone with no word
            print(_replaced_active_line(m, card))
    return EXIT_OK


def _replaced_active_line(m: dict, card) -> str:
    """The active model's folder holds another model now (exported there since, or shipped by
    an update): what `models list` and `status` say of it."""
    from .core.model_registry import is_shipped_default

    how = ("shipped with this version of Lookalike in its place" if is_shipped_default(m)
           else "was exported there since")
    return (f"The active model {_show(m['name'])} (id {m['id'][:12]}) is no longer in "
            f"{_show(m['path'] or '')}: '{_show(card.name)}' {how}, and "
            "becomes the active model when the app or `lookalike index` next opens the "
            f"library (or now: `lookalike models activate {card.model_id[:12]}`).")


def _replacement_json(m: dict, card) -> dict:
    """The model taking the active model's place, as `status --json` gives it: where it is now
    and whether this version of Lookalike shipped it (else it was exported there since)."""
    from .core.model_registry import is_shipped_default, shipped_in_place_of

    # Reinstalled elsewhere: the new default is in this installation's folder, not the recorded one.
    return {"id": card.model_id, "name": card.name, "bits": card.bits,
            "path": str(shipped_in_place_of(m) or m["path"]), "shipped": is_shipped_default(m)}


def _models_import(args) -> int:
    from .core.encoder import load_encoder
    from .core.model_registry import find_model, import_model

    with _open_store() as store:
        folder = import_model(args.dir, store)
        encoder = load_encoder(folder)
        store.register_model(encoder.model_id, encoder.card.name, encoder.bits, str(folder),
                             encoder.card.to_json())
        # The hint must be something `models activate` finds: the name, unless another model
        # has it too (recorded, or a model folder of the app's), then the id prefix `models
        # list` shows.
        try:
            unique = find_model(store, encoder.card.name).resolve() == folder.resolve()
        except ModelError:
            unique = False
        # A name that cannot be printed as it is cannot be typed back either: the id then.
        name = encoder.card.name
        hint = name if unique and _show(name) == name else encoder.model_id[:12]
    if not args.activate:
        if args.json:
            _print_json({"imported": str(folder), "id": encoder.model_id,
                         "name": encoder.card.name, "bits": encoder.bits, "activated": False})
        else:
            print(f"Imported {_show(encoder.card.name)} ({encoder.bits} bits) into "
                  f"{_show(str(folder))}. "
                  f"Activate it with `lookalike models activate {shlex.quote(hint)}`.")
        return EXIT_OK
    return _models_activate(args, str(folder))


def _models_activate(args, name_or_dir: str) -> int:
    from .core.encoder import load_encoder
    from .core.library import PhotoLibrary
    from .core.model_registry import find_model, import_model, is_kept_by_app, open_encoder

    with _open_store() as store, _decoding_journalled():
        _say_left_by_crashes(store)
        folder = find_model(store, name_or_dir)
        # A name may point at the user's own folder (a model only used with --model): copy it
        # in too, or the active model would be lost with that folder.
        if os.path.isdir(name_or_dir) or not is_kept_by_app(folder):  # a long name: False
            folder = import_model(folder, store)
        new = load_encoder(folder)
        try:
            # With none active, not the shipped default: opening it would register it and
            # make it active, and it would stay so if the encoding is stopped.
            current = open_encoder(store, None) if store.active_model_id() else new
        except ModelError:  # the active model is unusable: the new one simply replaces it
            current = new
        # Only activate_model, once every photo is encoded, makes the new model active.
        library = PhotoLibrary(store, current, activate_if_none=False)
        bar = ProgressBar(f"Encoding with {_show(new.card.name)}", _progress_enabled(args))
        try:
            report = library.activate_model(new, progress=bar, should_stop=args.should_stop)
        finally:
            bar.close()
        if args.json:
            _print_json({"model": new.card.name, "id": new.model_id, "path": str(folder),
                         "activated": not report.stopped, "encoded": report.updated,
                         "already_encoded": report.unchanged, "failed": report.failed,
                         "errors": [{"path": p, "message": _show(m)}
                                    for p, m in report.errors]})
        elif report.stopped:
            print(f"Stopped; {_photos(report.updated)} encoded with {_show(new.card.name)} so "
                  "far. The previous model stays active; run the same command again to "
                  "continue.")
        else:
            print(f"{_show(new.card.name)} is now the active model ({_photos(report.updated)} "
                  f"encoded, {report.unchanged} already were, {report.failed} failed).")
        for _path, message in report.errors:
            print(f"  ! {_show(message)}", file=sys.stderr)
    if report.stopped:
        return EXIT_INTERRUPTED
    return EXIT_PARTIAL if report.failed else EXIT_OK


COMMAND_FUNCS = {
    "index": cmd_index,
    "similar": cmd_similar,
    "duplicates": cmd_duplicates,
    "status": cmd_status,
    "forget": cmd_forget,
    "models": cmd_models,
}


if __name__ == "__main__":
    sys.exit(main())
