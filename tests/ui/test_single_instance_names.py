"""One app per LOOKALIKE_HOME also when the home's name is not UTF-8 (a Latin-1 home folder):
Qt cannot name such a folder, so the lock could not be made and every start ran unguarded."""

from __future__ import annotations

import os
from pathlib import Path

from desktop_app import paths, single_instance
from desktop_app.single_instance import InstanceLock


def latin1(tmp_path: Path, name: bytes) -> Path:
    return Path(os.fsdecode(os.fsencode(tmp_path) + b"/" + name))


def test_a_config_folder_whose_name_is_not_utf8_is_locked(qapp, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    config = latin1(tmp_path, b"caf\xe9 home") / "config"
    first = InstanceLock(config)
    assert first.try_lock()  # it raised OSError: "more than one window may open"
    try:
        assert first.path.exists() and first.path.parent == tmp_path / "run"
        assert not InstanceLock(config).try_lock()
        assert InstanceLock(latin1(tmp_path, b"caf\xe8 home") / "config").try_lock()
    finally:
        first.unlock()
    assert not first.path.exists()


def test_a_second_start_on_such_a_home_opens_no_second_window(qapp, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("LOOKALIKE_HOME", os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9"))
    running = single_instance.claim(paths.config_dir(), None, timeout=1)
    try:
        assert running.first and running.lock is not None
        # This process runs no event loop, so the running app "does not answer".
        later = single_instance.claim(paths.config_dir(), None, timeout=0.5)
        assert not later.first and not later.handed_over
        assert later.lock_path == running.lock.path
    finally:
        running.release()
