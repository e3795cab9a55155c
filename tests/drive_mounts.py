"""Real drives for the tests of unmounted folders: a tmpfs mounted on a folder (needs root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest


def mount_tmpfs(folder) -> None:
    """A real drive mounted on `folder` (a tmpfs: needs root), or the test is skipped."""
    folder.mkdir(parents=True, exist_ok=True)
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a tmpfs")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")


def unmount(folder) -> None:
    for _ in range(50):  # "target is busy" for a moment while a file is still open
        if not os.path.ismount(folder):
            return
        subprocess.run(["umount", str(folder)], capture_output=True, check=False)
        time.sleep(0.1)
    raise AssertionError(f"{folder} could not be unmounted")
