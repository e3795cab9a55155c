"""The table of where Lookalike keeps its files (README, docs/cli.md) says what paths.py does."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop_app import paths

ROOT = Path(__file__).resolve().parent.parent
ROWS = {"library, imported models": paths.data_dir,
        "`settings.json`, the app's lock file": paths.config_dir,
        "thumbnails and other caches (made again if deleted)": paths.cache_dir,
        "`lookalike.log`, `trainer.log`, `crash-*.txt`": paths.log_dir}


def table(doc: str) -> dict[str, list[str]]:
    rows = {}
    for line in (ROOT / doc).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in ROWS:
            rows[cells[0]] = [c.strip("`") for c in cells[1:]]
    assert set(rows) == set(ROWS), f"{doc}: the table of folders is missing rows"
    return rows


@pytest.mark.parametrize("doc", ["README.md", "docs/cli.md"])
def test_the_documented_folders_are_the_ones_used(doc, monkeypatch, tmp_path):
    rows = table(doc)
    monkeypatch.setenv("LOOKALIKE_HOME", str(tmp_path))
    for what, where in ROWS.items():
        assert where() == tmp_path / rows[what][3].removeprefix("H/"), what
    if not sys.platform.startswith("linux"):
        return
    monkeypatch.delenv("LOOKALIKE_HOME")
    monkeypatch.setenv("HOME", "/home/me")
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for what, where in ROWS.items():
        assert where() == Path(rows[what][0].replace("~", "/home/me", 1)), what
