"""Walking photo folders safely: symlink loops, broken links, unreadable or vanishing folders,
drives that are not mounted.

The walk never raises for one bad entry. It returns what it found plus the folders it could not
list completely, so the library never deletes records for photos it simply could not see. It
can be stopped (pause, quit, the folder removed): a stopped walk covers nothing.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from .errors import LookalikeError
from .images import is_photo

# should_stop is asked before each folder is listed and every this many entries: a folder of
# thousands of photos on a slow network drive (one stat each) still stops within a second.
STOP_CHECK_ENTRIES = 32

# Told the number of photos a walk has found so far (see scan_folder): a walk of a home folder
# or a NAS share takes minutes, and "Looking for photos…" alone looks stuck.
Looking = Callable[[int], None]


def _sentence(path: str, reason: str, hint: str) -> str:
    return str(LookalikeError(path, reason, hint))


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime: float
    error: str | None = None  # e.g. a broken symbolic link: recorded as a failed photo
    ctime_ns: int | None = None  # see change_time


def change_time(st: os.stat_result) -> int | None:
    """The inode change time (ns): set by every write or chmod (and a rename, on most file
    systems), and no tool can set it back, so a rewrite that keeps the size and mtime
    (exiftool -P, cp -p, touch -r) still shows. None on Windows: st_ctime is the creation time."""
    return None if os.name == "nt" else st.st_ctime_ns


@dataclass
class ScanResult:
    root: str
    files: list[FileEntry] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # folders not fully listed
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    root_missing: bool = False
    dangling_links: list[str] = field(default_factory=list)  # not named like photos, target gone
    # Folders (the root too) on another file system than the folder holding them: drives
    # mounted there. The library remembers them (see `was_mounted` in scan_folder).
    mount_points: list[str] = field(default_factory=list)
    # Folders (links mostly) the walk did not enter, as it names what they lead to by another
    # name (or they loop): what an earlier walk or a watcher's change named there is a second
    # name (the library sweeps it once it has the first: not_walked knows only some of them).
    passed_by: list[str] = field(default_factory=list)
    library_folder: bool = True  # the root is a library folder (not a folder inside one)
    stopped: bool = False  # should_stop ended the walk: what was not seen may still be there

    def cannot_open(self, folder: str, exc: OSError) -> None:
        """A folder that could not be listed: its records are kept, and the user is told."""
        self.incomplete.append(folder)
        if exc.errno == errno.ELOOP:
            self.problems.append((folder, _sentence(
                folder, "this link leads back to itself through other links (the links form "
                "a loop), so nothing can be found through it; the photos already indexed "
                "through it are kept", "Fix or delete the link")))
            return
        hint = ("Give it a shorter path, then index again" if exc.errno == errno.ENAMETOOLONG
                else "Give your user read access, then index again")
        self.problems.append((folder, _sentence(
            folder, f"cannot open this folder ({exc.strerror}); the photos already indexed "
            "from it are kept", hint)))

    def not_mounted(self, folder: str) -> None:
        """An empty folder that held a mounted drive when it was last indexed: the drive is not
        mounted now (an unmounted drive leaves its empty mount point behind). Nothing under it
        is swept."""
        self.incomplete.append(folder)
        if folder == self.root:
            self.root_missing = True
        # A link to a mount point (see scan_folder): deleting the empty folder it leads to
        # would leave a dangling link, which keeps the photos too.
        link = os.path.islink(folder)
        if folder == self.root and self.library_folder:
            hint = ("Mount the drive again, then index again; if the drive is gone for good, "
                    "remove the folder from the library")
        else:
            hint = ("Mount the drive again, then index again; if the drive is gone for good, "
                    f"delete this {'link' if link else 'empty folder'} to remove its photos "
                    "from the library")
        where = "the folder this link leads to" if link else "this folder"
        self.problems.append((folder, _sentence(
            folder, f"no drive is mounted on {where} now (one was when it was indexed); "
            "the photos indexed from it are kept", hint)))

    def link_target_missing(self, link: str) -> None:
        """A link whose target is gone (not named like a photo, so maybe a folder on an
        unplugged drive): like a missing library folder, nothing indexed through it is removed.
        The library says so when photos were indexed through it (dangling_link_problem); a
        dangling link to some other file is no news."""
        self.incomplete.append(link)
        self.dangling_links.append(link)

    def covers(self, path: str) -> bool:
        """True when a file at `path` would have been seen if it existed (safe to sweep)."""
        if self.root_missing or self.stopped:
            return False
        for folder in self.incomplete:
            if path == folder or path.startswith(folder.rstrip(os.sep) + os.sep):
                return False
        return True


def normalise_folder(path: str | os.PathLike) -> str:
    """Absolute, symlink-resolved folder path: the one name a folder has in the database."""
    return os.path.realpath(os.path.abspath(os.fspath(path)))


def is_under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


# Lower-case names of the folders that file servers and systems make among photos: thumbnails,
# versions and recycle bins (a Synology NAS keeps a thumbnail of every photo in @eaDir). Their
# pictures are copies of the user's, which searches and duplicate groups would show twice.
# __MACOSX: a zip made on a Mac, unpacked elsewhere, holds one beside its folders, with a ._
# resource fork per file (no picture); the trainer took it for an album of no photos.
SYSTEM_FOLDERS = frozenset({
    "@eadir", "@recycle", "#recycle", "#snapshot", "@tmp", "@sharebin", "#recycle.bin",
    "$recycle.bin", "system volume information", "lost+found", "__macosx",
})


# Photo apps keep their library in one folder (a Mac shows it as one file, a "package"), named
# with the app's suffix: the originals, and thumbnails, previews and proxies of each as JPEGs
# (Photos makes 3 to 5 a photo). Only the originals' folders (named here in lower case) are
# walked, so each photo is found once; the rest is cache and database. Edited versions (Photos'
# resources/renders, iPhoto's Modified) are left out too: an edit is the same photo to "photos
# like this" and would show it twice in every search and duplicate group; its original is there.
# Only libraries whose originals surely lie right inside are listed: a wrong guess would hide
# every photo of one (Lightroom's .lrlibrary, Capture One's .cocatalog: their caches are no
# photo files anyway).
APP_LIBRARIES = {
    ".photoslibrary": frozenset({"originals", "masters"}),  # Photos 5 and later; Photos 1-4
    ".photolibrary": frozenset({"masters", "originals"}),  # iPhoto 9 and later; iPhoto 8
    ".aplibrary": frozenset({"masters"}),  # Aperture
    ".lrdata": frozenset(),  # Lightroom Classic's (smart) previews: all copies
}


def left_out(name: str, holder: str = "") -> bool:
    """A name the walk skips in the folder `holder` (its path or name): hidden, one of
    SYSTEM_FOLDERS, or in a photo app's library but not its originals (APP_LIBRARIES)."""
    lower = name.lower()
    if lower.startswith(".") or lower in SYSTEM_FOLDERS:
        return True
    suffix = os.path.splitext(os.path.basename(holder.rstrip("/" + os.sep)))[1].lower()
    originals = APP_LIBRARIES.get(suffix)
    return originals is not None and lower not in originals


def hidden_below(path: str, folder: str) -> bool:
    """Is `path` in a folder the walk of `folder` skips (or itself skipped)? scan_folder skips
    those (a drive's .Trash-1000, .cache, .git, a NAS's @eaDir, a Photos library's thumbnails),
    so the watcher's changes there are no photos either. `folder` itself is never skipped: one
    watched on purpose (a library's previews folder) is walked."""
    return outermost_hidden(path, folder) is not None


def outermost_hidden(path: str, folder: str) -> str | None:
    """The outermost skipped folder (or file) that `path` is or lies in below `folder`."""
    if not is_under(path, folder):
        return None
    parts = path[len(folder):].split(os.sep)
    holder = folder
    for i, part in enumerate(parts):
        if part and left_out(part, holder):
            return folder + os.sep.join(parts[:i + 1])
        holder = part or holder
    return None


def dangling_link_problem(link: str) -> tuple[str, str]:
    """(link, message) for a link that photos were indexed through and whose target is gone."""
    try:
        target = os.readlink(link)
    except OSError:
        target = "?"
    return link, _sentence(
        link, f"this link's target '{target}' is missing (is a drive unplugged?); the photos "
        "already indexed through it are kept", "Connect the drive and index again, or delete "
        "the link to remove its photos from the library")


def stat_entry(path: str) -> FileEntry | None:
    """A FileEntry for one path, or None if there is nothing there any more."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        try:
            lst = os.lstat(path)
        except OSError:
            return None
        if stat.S_ISLNK(lst.st_mode):
            return FileEntry(path, 0, lst.st_mtime, broken_link_message(path))
        return None
    except OSError as exc:
        try:
            mtime = os.lstat(path).st_mtime
        except OSError:
            mtime = 0.0
        if exc.errno == errno.ELOOP:
            return FileEntry(path, 0, mtime, "this link points to itself through other links "
                             "(the links form a loop); fix or delete the link")
        return FileEntry(path, 0, mtime, f"cannot read the file's details ({exc.strerror}); "
                         "check the disk and your permissions, then rescan")
    if not stat.S_ISREG(st.st_mode):
        return None
    return FileEntry(path, st.st_size, st.st_mtime, ctime_ns=change_time(st))


def broken_link_message(path: str) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return (f"this is a link to '{target}', which does not exist (or the links form a loop); "
            "fix or delete the link")


def _is_empty(folder: str) -> bool:
    try:
        with os.scandir(folder) as it:
            return next(it, None) is None
    except OSError:
        return False


def _walked_anyway(real: str, covered: Collection[str]) -> bool:
    """Is the real folder `real` in one of the real folders `covered` (walked, or walked on its
    own), in a part whose walk does not skip it? A link to a hidden folder, a NAS's @eaDir, a
    Photos library's previews, is the only way in there. `covered` is looked up by the folders
    holding `real` (a set: each link followed adds one; going through them all for each link
    took a walk of 10,000 links 10 s, not 0.8)."""
    here = real
    while True:
        if here in covered and not hidden_below(real, here):
            return True
        up = os.path.dirname(here)
        if up == here:
            return False
        here = up


def link_followed(folder: str, link: str, covered: Collection[str]) -> str | None:
    """The real folder that the folder link `link`, in `folder`, leads to, if the walk follows
    it: not when it leads back to a folder holding it (a loop), nor into a folder `covered`
    (scan_folder's: its root, the folders walked on their own, those that links followed
    already lead to), whose photos are named there (following it would give them a second
    name, and which name won would hang on the names' order: links sort first)."""
    try:
        real = os.path.realpath(link)
        # Leading to `folder` or a folder holding it, a loop: following it would walk
        # everything again, and all beside it.
        if is_under(os.path.realpath(folder), real):
            return None
    except (OSError, ValueError):
        return None
    return None if _walked_anyway(real, covered) else real


def not_walked(path: str, root: str, elsewhere: Collection[str] = ()) -> bool:
    """Is `path`, below the folder `root`, a folder link that the walk of `root` (with the
    folders `elsewhere` walked on their own: scan_folder's `walked_elsewhere`) does not follow,
    or inside one? That walk names no photo there. (Links followed further along its walk,
    whose folders it then does not enter again, are not known here.)"""
    covered = {normalise_folder(root), *map(normalise_folder, elsewhere)}
    holder = root
    for part in path[len(root):].split(os.sep):
        if not part:
            continue
        here = os.path.join(holder, part)
        if os.path.islink(here) and os.path.isdir(here):
            real = link_followed(holder, here, covered)
            if real is None:
                return True
            covered.add(real)
        holder = here
    return False


def scan_folder(root: str | os.PathLike, was_mounted: Collection[str] = (),
                library_folder: bool = True,
                should_stop: Callable[[], bool] | None = None,
                looking: Looking | None = None, as_named: bool = False,
                walked_elsewhere: Collection[str] = ()) -> ScanResult:
    """Every photo file under `root` (skipping hidden ones), folders in name order, following
    folder links once each (see link_followed): never one back to a folder holding it, nor one
    into `root` (that folder is walked by its own name: which name won hung on the names'
    order, and the watcher, watch/folder_links.py, reports its changes by its own name), into
    one of the folders `walked_elsewhere`, or into a folder that a link followed before leads
    to; but a link into a part this walk skips (a hidden folder) is the only way in there, and
    is followed. `walked_elsewhere`: the library's other folders, walked on their own (for a
    folder inside a library folder, that one too).
    `was_mounted`: folders that held a mounted drive before (ScanResult.mount_points of earlier
    scans); one of them found empty and not a mount point now is a drive not mounted, and
    nothing under it is swept. `library_folder`: False for a folder inside a library folder
    (the watcher's changes), for the words of that.
    `should_stop`: once true the walk ends with `stopped` set (see STOP_CHECK_ENTRIES).
    `looking`: told the photos found so far: 0 as the walk starts, then wherever should_stop
    is asked, and the whole count once the walk is done. The same count is told again while
    no photo is found: a caller that shows it less often than told (skipping some) shows the
    latest one that way, not one long passed through a stretch of folders without photos.
    `as_named`: the photos are named under `root` as given (absolute), not under its resolved
    path: a folder link inside a library folder, whose photos the walk of that folder names
    through the link."""
    root = os.path.abspath(os.fspath(root)) if as_named else normalise_folder(root)
    result = ScanResult(root, library_folder=library_folder)
    try:
        root_stat = os.stat(root)
    except OSError:
        result.root_missing = True
        result.problems.append((root, _sentence(
            root, "the folder does not exist or cannot be opened; nothing was removed from the "
            "library", "If it is on a removable drive, connect it and index again")))
        return result
    if not stat.S_ISDIR(root_stat.st_mode):
        result.root_missing = True
        result.problems.append((root, _sentence(root, "this is not a folder",
                                                "Give the folder that holds your photos")))
        return result
    if os.path.ismount(os.path.realpath(root) if as_named else root):  # a link: its target's
        result.mount_points.append(root)
    elif root in was_mounted and _is_empty(root):
        result.not_mounted(root)
        return result
    def tell() -> None:  # cheap enough to call where should_stop is asked
        if looking is not None:
            looking(len(result.files))

    visited = {(root_stat.st_dev, root_stat.st_ino)}
    # The real folders whose photos have their names already: no link into them is followed.
    covered = {os.path.realpath(root), *map(normalise_folder, walked_elsewhere)}
    # (folder, its device, may it be a drive's mount point left empty?)
    stack = [(root, root_stat.st_dev, False)]
    while stack:
        tell()
        if should_stop is not None and should_stop():
            result.stopped = True
            return result
        folder, device, maybe_unmounted = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except FileNotFoundError:
            result.incomplete.append(folder)  # vanished while we walked
            continue
        except OSError as exc:
            result.cannot_open(folder, exc)
            continue
        if maybe_unmounted and not entries:
            result.not_mounted(folder)
            continue
        inside = []  # walked in name order, each before the next (as the watcher finds links)
        for count, entry in enumerate(sorted(entries, key=lambda e: e.name), 1):
            if count % STOP_CHECK_ENTRIES == 0:
                tell()
                if should_stop is not None and should_stop():
                    result.stopped = True
                    return result
            if left_out(entry.name, folder):
                continue
            path = entry.path
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError as exc:
                if not is_photo(path):
                    # A link whose target cannot be looked at (a folder we may not open):
                    # what is behind it is unknown, so nothing under it may be swept.
                    result.cannot_open(path, exc)
                    continue
                is_dir = False  # a photo's name: recorded below with the reason
            if is_dir:
                try:
                    st = os.stat(path)
                except FileNotFoundError:
                    result.incomplete.append(path)  # vanished while we walked
                    continue
                except OSError as exc:  # e.g. a path too long to open: said, not skipped
                    result.cannot_open(path, exc)
                    continue
                key = (st.st_dev, st.st_ino)
                if key in visited:  # a link back up the tree, or a second link to one folder
                    result.passed_by.append(path)
                    continue
                link = entry.is_symlink()
                real = path
                if link:
                    real = link_followed(folder, path, covered)
                    if real is None:
                        result.passed_by.append(path)
                        continue
                    covered.add(real)
                visited.add(key)
                # A link to a drive's mount point (~/Pictures/NAS -> /mnt/nas) is one too, by
                # the link's name (`real`: its target): unmounted, its empty folder is no sign of
                # photos deleted.
                # Only what os.path.ismount calls one, as the library checks them (a Windows
                # junction to another drive is not, and would keep its deleted photos forever).
                if st.st_dev != device and os.path.ismount(real):
                    result.mount_points.append(path)
                inside.append((path, st.st_dev, path in was_mounted and (
                    not os.path.ismount(real) if link else st.st_dev == device)))
                continue
            if not is_photo(path):
                # is_dir() is False for a broken link, which may be a folder link to a drive
                # that is unplugged: keep what was indexed through it.
                if entry.is_symlink() and not os.path.exists(path):  # is_symlink: no syscall
                    result.link_target_missing(path)
                continue
            found = stat_entry(path)
            if found is not None:
                result.files.append(found)
        stack.extend(reversed(inside))
    tell()
    result.files.sort(key=lambda f: f.path)
    return result
