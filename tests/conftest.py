"""Shared fixtures: an isolated LOOKALIKE_HOME for every test, a tiny real ONNX model, photos."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

from photos import make_photo
from tiny_model import make_tiny_model


@pytest.fixture(autouse=True)
def lookalike_home(tmp_path_factory, monkeypatch) -> Path:
    """All app state (database, cache, settings, logs) goes to a fresh folder per test."""
    home = tmp_path_factory.mktemp("lookalike-home")
    monkeypatch.setenv("LOOKALIKE_HOME", str(home))
    monkeypatch.setenv("LOOKALIKE_PROVIDER", "cpu")
    return home


@pytest.fixture(autouse=True)
def no_log_handlers_left_behind():
    """The command line's setup_logging puts a handler on the root logger that writes to the
    sys.stderr of that moment, a test's captured stream: left there, a later test's warning went
    to that closed stream and printed a 'Logging error' traceback into the later test's stderr."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in list(root.handlers):
        if getattr(handler, "_lookalike", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A real 48-bit ONNX model folder (model.onnx + model.json); read-only by convention."""
    return make_tiny_model(tmp_path_factory.mktemp("tiny-model"), bits=48)


@pytest.fixture
def photo_factory(tmp_path):
    def factory(relpath: str, name: str = "chelsea", **kwargs) -> Path:
        return make_photo(tmp_path / relpath, name=name, **kwargs)

    return factory


@pytest.fixture
def indexed_library(tmp_path, photo_factory, tiny_model_dir, lookalike_home):
    """Three photos (two of one cat) indexed by the real CLI in a subprocess with the tiny
    model: (album folder, environment for later `python -m desktop_app` runs)."""
    import subprocess

    photo_factory("album/chelsea.jpg", "chelsea")
    photo_factory("album/chelsea-copy.jpg", "chelsea", quality=70)
    photo_factory("album/coffee.jpg", "coffee")
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    for argv in (["models", "import", str(tiny_model_dir), "--activate"],
                 ["index", str(tmp_path / "album")]):
        done = subprocess.run([sys.executable, "-m", "desktop_app", "--no-progress", *argv],
                              capture_output=True, text=True, env=env, check=False)
        assert done.returncode == 0, done.stderr
    return tmp_path / "album", env


@pytest.fixture
def slow_decoder_script():
    """`slow_decoder_script(run)`: a `python -c` script that runs `run` (say "from desktop_app
    import cli; sys.exit(cli.main(sys.argv[1:]))") with Lookalike's decoder saying "decoding"
    on stdout and taking a minute when given slow.jpg: a process to end while it decodes.
    SIGHUP is as a program started from a terminal has it (a run under nohup ignores it)."""
    head = r"""
import signal, sys, time
signal.signal(signal.SIGHUP, signal.SIG_DFL)
from desktop_app.core import images

load = images._load

def slow(image, data, path, *args, **kwargs):
    if str(path).endswith("slow.jpg"):
        print("decoding", flush=True)
        time.sleep(60)
    return load(image, data, path, *args, **kwargs)

images._load = slow
"""
    return lambda run: head + run + "\n"
