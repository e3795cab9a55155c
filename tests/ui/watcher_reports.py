"""What a FolderWatcher reports, for the folder-link tests."""

from __future__ import annotations

from photos import make_photo


def reports(watcher) -> list[tuple[str, str]]:
    """Every path `watcher` reports from now on, as ("changed" | "removed", path), in order."""
    events: list[tuple[str, str]] = []
    watcher.paths_changed.connect(lambda paths: events.extend(("changed", p) for p in paths))
    watcher.paths_removed.connect(lambda paths: events.extend(("removed", p) for p in paths))
    return events


def photo(path, name="coffee"):
    """A small real photo at `path`."""
    return make_photo(path, name, size=(48, 32))
