"""The log file as users meet it: paths that are not UTF-8 in it, and LOOKALIKE_LOG mistyped."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from desktop_app import paths
from desktop_app.log import setup_logging

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
