"""Folder links (symbolic links to folders) below a watched folder, followed as the library's walk
follows them (scan.scan_folder, scan.link_followed): once each, never back to a folder holding
the link (`up -> ..`), and never into a folder watched already, by its own name or through
another link (its photos would be reported under two names, and indexed twice), but into a part
of it the walk skips (a hidden folder: the link is the only way in). A folder watch reaches none
of them (inotify follows no link, and watchdog's `follow_symlink` walks into link loops, a
folder under ever longer names), so the watcher watches each one's folder on its own, found
here, and reports its changes under the link's name.

`find_folder_links` walks for them (no Qt, no watchdog); `LinksOnce` gives a polled folder's
snapshots (watchdog's DirectorySnapshot) a listing and a stat that follow them the same way: a
polled folder followed every link, loops too (`up -> ..` gave each photo 40 names).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable

from ..core.images import is_photo
from ..core.scan import hidden_below, is_under, left_out, link_followed


def link_target(folder: str, link: str, covered: Collection[str]) -> str | None:
    """The real folder that `link`, a folder link in `folder`, leads to, if it is followed, by
    the walk's rule (scan.link_followed): not when it leads back to a folder holding it (a
    loop), nor into one of the real folders `covered` (watched already) unless into a part
    the walk skips (a hidden folder: the link is the only way in), nor when it leads to no
    folder."""
    real = link_followed(folder, link, covered)
    return real if real is not None and os.path.isdir(real) else None


def covers(covered: Iterable[str], real: str) -> bool:
    """Is the real folder `real` in one of the real folders `covered`, in a part the walk does
    not skip (link_target's rule)?"""
    return any(is_under(real, c) and not hidden_below(real, c) for c in covered)


Found = tuple[str, str | None, bool]  # (link's name, the real folder it leads to, followed?)


def find_folder_links(top: str, root: str, covered: Iterable[str],
                      should_stop: Callable[[], bool] = lambda: False) -> list[Found] | None:
    """The folder links at or below `top` (a folder or folder link in the watched folder `root`,
    both by the names they are watched under), outer before inner: (name, the real folder it
    leads to (None: none now, a folder on a drive unplugged maybe), followed?). One is not
    followed when it loops, or leads into a folder `covered` or found already; the links
    followed are walked too (the links in them named through them). Folders the library's walk
    skips (hidden ones) are skipped. None when `should_stop` said so."""
    if top != root and hidden_below(top, root):
        return []
    covered = set(covered)  # looked up by each folder holding a link's (link_followed)
    found: list[Found] = []
    if os.path.islink(top) and top != root:
        if not os.path.isdir(top):
            # Leading to nothing (not named like a photo): maybe a folder on a drive unplugged.
            return [] if os.path.exists(top) or is_photo(top) else [(top, None, False)]
        real = link_target(os.path.dirname(top), top, covered)
        found.append((top, real or _real(top), real is not None))
        if real is None:
            return found
        covered.add(real)
    stack = [top]
    while stack:
        if should_stop():
            return None
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:  # gone, or unreadable: the scan of it says so
            continue
        inside = []
        for entry in entries:  # in name order, as the walk: the first link to a folder has it
            if left_out(entry.name, folder):
                continue
            try:
                if not entry.is_symlink():
                    if entry.is_dir(follow_symlinks=False):
                        inside.append(entry.path)
                    continue
                if not entry.is_dir():
                    if not os.path.exists(entry.path) and not is_photo(entry.path):
                        found.append((entry.path, None, False))  # its drive unplugged, maybe
                    continue
            except OSError:
                continue
            real = link_target(folder, entry.path, covered)
            found.append((entry.path, real or _real(entry.path), real is not None))
            if real is not None:
                covered.add(real)
                inside.append(entry.path)
        stack.extend(reversed(inside))  # popped in name order
    return found


def _real(link: str) -> str | None:
    try:
        return os.path.realpath(link)
    except (OSError, ValueError):
        return None


class LinksOnce:
    """`listdir` and `stat` for the snapshots of one polled folder (watchdog's DirectorySnapshot
    stats each name and walks into what is a folder): a folder link that `link_target` would
    not follow is stat'ed as the link it is (a loop, a folder watched already), so the snapshot
    does not walk into it. Each snapshot lists the watched folder first, which starts afresh."""

    def __init__(self, root: str, covered_elsewhere: Callable[[], list[str]]) -> None:
        self._root = root
        self._covered_elsewhere = covered_elsewhere  # the real paths of other watched folders
        self._covered: set[str] = set()
        self._not_followed: set[str] = set()

    def listdir(self, folder: str):
        # In name order, as the walk: the first link to a folder has it (the system's order gave
        # it to any), and the snapshot walks into them in this order.
        with os.scandir(folder) as it:  # its errors are the snapshot's to take
            entries = sorted(it, key=lambda e: e.name)
        if folder == self._root:
            self._covered = {os.path.realpath(folder), *self._covered_elsewhere()}
            self._not_followed = set()
        for entry in entries:
            try:
                link = entry.is_symlink() and entry.is_dir()
            except OSError:
                continue
            if link:
                real = (None if left_out(entry.name, folder)
                        else link_target(folder, entry.path, self._covered))
                if real is None:
                    self._not_followed.add(entry.path)
                else:
                    self._covered.add(real)
        return entries

    def stat(self, path: str) -> os.stat_result:
        return os.lstat(path) if path in self._not_followed else os.stat(path)
