"""The log file as users meet it: paths that are not UTF-8 in it, LOOKALIKE_LOG mistyped, and
the crash reports kept beside it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from desktop_app import paths
from desktop_app.log import (
    KEEP_CRASH_REPORTS,
    prune_crash_reports,
    save_crash_report,
    setup_logging,
)

NOT_UTF8 = os.fsdecode(b"/photos/caf\xe9/\xff.jpg")  # a Latin-1 name, as os.listdir gives it


def test_a_path_that_is_not_utf8_is_logged_not_dropped():
    setup_logging(0, log_file=True)
    logging.getLogger("desktop_app.test").warning("cannot read %s", NOT_UTF8)
    logging.getLogger("desktop_app.test").warning("next record")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = (paths.log_dir() / "lookalike.log").read_text(encoding="utf-8")
    assert "cannot read /photos/caf\\udce9/\\udcff.jpg" in text
    assert "next record" in text  # (stderr: see the next test; pytest's capture is strict)


def test_setting_up_logging_again_closes_the_log_file_it_replaces():
    setup_logging(0, log_file=True)
    first = [h for h in logging.getLogger().handlers
             if isinstance(h, logging.FileHandler) and getattr(h, "_lookalike", False)]
    setup_logging(0, log_file=True)
    assert len(first) == 1 and first[0].stream is None  # closed, its descriptor released
    assert first[0] not in logging.getLogger().handlers


def test_the_app_log_in_a_home_whose_name_is_not_utf8_keeps_its_records(tmp_path):
    """LOOKALIKE_HOME (or HOME) named in Latin-1: every record naming a file in it was lost,
    'Lookalike started' included, each with a traceback on stderr."""
    home = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9 home")
    code = ("import logging\nfrom desktop_app import app, paths\napp.setup_logging()\n"
            "logging.getLogger('desktop_app').info('Lookalike started (data in %s)', "
            "paths.data_dir())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False,
                          env={**os.environ, "LOOKALIKE_HOME": home}, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert b"Logging error" not in done.stderr
    log_file = os.fsencode(home) + b"/logs/lookalike.log"
    with open(log_file, encoding="utf-8") as f:  # still UTF-8 text
        assert "Lookalike started (data in " in f.read()


def test_a_mistyped_log_level_is_said_and_the_app_logs_at_info():
    code = ("import logging\nfrom desktop_app import app\napp.setup_logging()\n"
            "print(logging.getLevelName(logging.getLogger().level))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env={**os.environ, "LOOKALIKE_LOG": "verbose"},
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "INFO"
    assert "LOOKALIKE_LOG=verbose is not a log level (DEBUG, INFO, WARNING or ERROR)" in done.stderr
    assert "Traceback" not in done.stderr
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=False, env={**os.environ, "LOOKALIKE_LOG": "debug"}, timeout=60)
    assert again.stdout.strip() == "DEBUG" and "not a log level" not in again.stderr


def _crash_names(folder) -> list[str]:
    return sorted(p.name for p in folder.glob("crash-*.txt"))


def test_crash_reports_are_bounded_to_the_newest_and_nothing_else_goes(tmp_path):
    """A command that fails at every run (a script in a loop, a cron job) saved one crash-*.txt
    per run, for ever. The newest KEEP_CRASH_REPORTS stay; the log, files the user named and
    symbolic links are never removed."""
    folder = paths.log_dir()
    folder.mkdir(parents=True)
    old = [f"crash-202401{day:02d}-120000-{100 + day}.txt" for day in range(1, 26)]
    for name in old:
        (folder / name).write_text(f"Traceback of {name}\n", encoding="utf-8")
    theirs = ["lookalike.log", "crash-notes.txt", "crash-20230101-120000-1-sent.txt"]
    for name in theirs:
        (folder / name).write_text("mine\n", encoding="utf-8")
    elsewhere = tmp_path / "kept-elsewhere.txt"
    elsewhere.write_text("a report the user keeps\n", encoding="utf-8")
    link = folder / "crash-20200101-120000-7.txt"  # the oldest name of all, but a link
    link.symlink_to(elsewhere)
    saved = save_crash_report("Traceback (most recent call last):\nRuntimeError: again\n")
    assert saved is not None and saved.parent == folder
    assert saved.read_text(encoding="utf-8").endswith("RuntimeError: again\n")
    reports = [n for n in _crash_names(folder) if n not in theirs and n != link.name]
    assert len(reports) == KEEP_CRASH_REPORTS == 20
    assert saved.name in reports and reports[:-1] == old[-19:]  # the newest 19 before it
    for name in theirs:
        assert (folder / name).read_text(encoding="utf-8") == "mine\n"
    assert link.is_symlink() and elsewhere.read_text() == "a report the user keeps\n"


def test_the_report_just_saved_stays_also_after_the_clock_was_set_back():
    """Reports dated later than now (a clock that was wrong, then set right) sort as the
    newest: the one just saved, the one the user is told about, must not be the one to go."""
    folder = paths.log_dir()
    folder.mkdir(parents=True)
    for n in range(25):
        (folder / f"crash-20990101-1200{n:02d}-1.txt").write_text("future\n")
    saved = save_crash_report("Traceback: now\n")
    assert saved is not None and saved.exists()
    assert len(_crash_names(folder)) == KEEP_CRASH_REPORTS
    assert prune_crash_reports(folder, keep=3) == KEEP_CRASH_REPORTS - 3
    assert not saved.exists()  # a later prune goes by the names alone


def test_a_log_folder_that_cannot_be_listed_costs_no_crash_report(tmp_path):
    assert prune_crash_reports(tmp_path / "not-there") == 0


def test_a_traceback_with_a_path_that_is_not_utf8_is_saved_and_said():
    """An unexpected error whose message (or a file in its traceback) holds a name that is not
    UTF-8: saving the report raised UnicodeEncodeError out of the CLI's handler (a Python
    traceback, no 'unexpected error' line, an empty crash-*.txt left)."""
    code = ("import sys\nfrom desktop_app import cli\n"
            "def fails(args):\n"
            f"    raise RuntimeError('cannot read ' + {NOT_UTF8!r})\n"
            "cli.COMMAND_FUNCS['status'] = fails\nsys.exit(cli.main(['status']))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          errors="backslashreplace", check=False, timeout=60)
    (report,) = paths.log_dir().glob("crash-*.txt")
    assert done.returncode == 1, done.stderr
    assert report.read_text(encoding="utf-8").endswith(
        "RuntimeError: cannot read /photos/caf\\udce9/\\udcff.jpg\n")
    (line,) = done.stderr.splitlines()
    assert line.startswith("lookalike: unexpected error (RuntimeError: cannot read /photos/caf")
    assert line.endswith(f"Please report it with the details in {report}.")
