"""The real app in a process of its own, for what happens only as it ends: its own quit, and its
objects deleted as Python ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_app_script(script: str, folder: Path, model_dir: Path,
                   timeout: float) -> subprocess.CompletedProcess:
    """`python -c script FOLDER` offscreen (the script starts the app on FOLDER), once the model
    at `model_dir` is imported and made the active one, as `lookalike models import DIR
    --activate` does; its output as text."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "desktop_app", "models", "import",
                           str(model_dir), "--activate"], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return subprocess.run([sys.executable, "-c", script, str(folder)], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
