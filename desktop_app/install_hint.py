"""The command that adds the trainer (the `train` extra) to the Lookalike that is running.

Lookalike is not on PyPI, so `pip install 'lookalike[train]'` finds nothing (or, one day, someone
else's project), and `pip install -e '.[cpu,train]'` works only in the source folder. pip records
where it installed a project from (PEP 610, direct_url.json): the hint names that folder or wheel,
and this Python's pip, so it adds torch to the environment the app runs in. Only `[train]` is
added: the onnxruntime already installed (cpu or gpu) stays. Imports no torch and no Qt.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

DISTRIBUTION = "lookalike"
SOURCE_HINT = "`pip install -e '.[cpu,train]'` in Lookalike's source folder"


def _installed_from(read_direct_url) -> tuple[Path, bool] | None:
    """The local folder or wheel this installation came from, and whether it is editable."""
    try:
        text = read_direct_url()
        record = json.loads(text) if text else None
    except Exception:  # noqa: BLE001 - not installed as a distribution, or an odd record
        return None
    if not isinstance(record, dict) or not isinstance(record.get("url"), str):
        return None
    url = urlparse(record["url"])
    if url.scheme != "file":
        return None
    editable = bool((record.get("dir_info") or {}).get("editable"))
    return Path(url2pathname(url.path)), editable


def _read_direct_url() -> str | None:
    return metadata.distribution(DISTRIBUTION).read_text("direct_url.json")


def train_install_hint(read_direct_url=_read_direct_url, python: str | None = None,
                       frozen: bool | None = None) -> str:
    """What follows "Install it with " in a message: a command, in backquotes."""
    if getattr(sys, "frozen", False) if frozen is None else frozen:
        return f"{SOURCE_HINT}, and run Lookalike from there (this bundle cannot train)"
    source = _installed_from(read_direct_url)
    if source is None:
        return SOURCE_HINT
    path, editable = source
    words = [python or sys.executable, "-m", "pip", "install", *(["-e"] if editable else []),
             f"{path}[train]"]
    # cmd.exe knows double quotes only: shlex's single quotes would stay in the program name.
    return f"`{_command_line(words)}`"


def _command_line(words: list[str]) -> str:
    if sys.platform == "win32":
        return subprocess.list2cmdline(words)
    return shlex.join(words)
