"""What each folder link costs the walk (found in review): each link was checked against every
folder that links followed before it lead to, so 10,000 links in a library folder took its walk
10 s instead of 0.8 s, and each link was resolved four times (each a look at every folder on
its path, on a network drive a round trip each). The real walk on real links."""

from __future__ import annotations

import os

import pytest

from desktop_app.core import scan
from desktop_app.core.scan import scan_folder

pytestmark = pytest.mark.skipif(os.name == "nt", reason="folder links need rights on Windows")

LINKS = 1500


def test_each_link_costs_the_walk_the_same_however_many_came_before(tmp_path, monkeypatch):
    root = tmp_path / "R"
    for i in range(LINKS):
        target = tmp_path / "elsewhere" / f"trip{i:04d}"
        target.mkdir(parents=True)
        (target / "t.jpg").write_bytes(b"not decoded by the walk")
        holder = root / f"year{i // 50:02d}"
        holder.mkdir(parents=True, exist_ok=True)
        os.symlink(target, holder / f"trip{i:04d}")
    checks, resolved = [], []
    is_under, realpath = scan.is_under, os.path.realpath
    monkeypatch.setattr(scan, "is_under", lambda *a: checks.append(a) or is_under(*a))
    monkeypatch.setattr(os.path, "realpath",
                        lambda *a, **k: resolved.append(a) or realpath(*a, **k))
    assert len(scan_folder(root).files) == LINKS
    assert len(checks) <= 2 * LINKS  # was over a million: every folder followed, for each link
    assert len(resolved) <= 2 * LINKS + 10  # the link, and the folder holding it
