"""Which files of an albums folder are read, and why an album gave no photo (no torch).

An album is a sub-folder of the albums folder; its photos are the photo files below it. Hidden
folders are skipped, and so are the folders that file servers and systems make among photos
(a Synology NAS puts a thumbnail of every photo in @eaDir): their pictures are copies, and read
as an album or as photos of one they would teach the model a label that is not the user's.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.images import is_photo
from desktop_app.core.scan import left_out

from .errors import Stopped
from .wording import plural

# The app's walk leaves out the same folders: one list (desktop_app.core.scan.SYSTEM_FOLDERS).
SYSTEM_FOLDERS_WORDS = "thumbnails and recycle bins that file servers and systems make"
# Files Windows leaves in picture folders: not the user's, so not named as files left out.
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db"})


@dataclass
class AlbumListing:
    photos: list[Path] = field(default_factory=list)
    other_files: Counter = field(default_factory=Counter)  # suffix -> files not read as photos
    unopened: list[tuple[str, str]] = field(default_factory=list)  # (folder, why)
    skipped: list[str] = field(default_factory=list)  # system folders left out

    def empty_reason(self, folder: str | os.PathLike, unreadable: int) -> str:
        """Why this album gave no photo to train on, with what to do (`unreadable`: its photo
        files that could not be read)."""
        for path, why in self.unopened:
            if path == os.fspath(folder):
                return f"it cannot be opened ({why}): make it readable"
        if unreadable:
            return f"{'its photo' if unreadable == 1 else f'none of its {unreadable} photos'} " \
                   "could be read (named above)"
        if self.unopened:
            return f"{plural(len(self.unopened), 'folder')} in it cannot be opened (named above)"
        if self.other_files:
            kinds = ", ".join(f"{n} {suffix or 'without a suffix'}" for suffix, n in
                              self.other_files.most_common(4))
            return (f"it holds only {plural(sum(self.other_files.values()), 'file')} that "
                    f"{'is' if sum(self.other_files.values()) == 1 else 'are'} not photos "
                    f"Lookalike reads ({kinds}): save them as JPEG, PNG, HEIC or WebP to train "
                    "on them")
        return "it holds no photos"


LISTING_STOPPED = ("stopped while listing the albums, before any photo was read; run the same "
                   "command again to start")


def check_stop(should_stop: Callable[[], bool] | None) -> None:
    """Raise Stopped when asked to: listing tens of thousands of files on a NAS takes a while
    before the first photo is read (and the first progress, which checks it too)."""
    if should_stop and should_stop():
        raise Stopped(LISTING_STOPPED)


def folder_entries(root: Path) -> list[Path]:
    """The entries of the albums folder, sorted; AlbumError when it cannot be opened."""
    from .albums import AlbumError

    try:
        return sorted(root.iterdir())
    except OSError as exc:  # e.g. another user's folder: one sentence, not a traceback
        raise AlbumError(root, f"this albums folder cannot be opened ({exc.strerror})",
                         "Make it readable, or give a folder you can read") from exc


def album_folders(root: Path) -> tuple[list[Path], list[str]]:
    """(the albums of `root`, sorted; the system folders left out)."""
    albums, skipped = [], []
    for d in folder_entries(root):
        if d.is_dir() and not d.name.startswith("."):
            (skipped.append(str(d)) if left_out(d.name) else albums.append(d))
    return albums, skipped


def list_album(folder: Path, should_stop: Callable[[], bool] | None = None) -> AlbumListing:
    """The photo files below `folder` (links to folders not followed), in a stable order;
    Stopped (check_stop) between its folders."""
    listing = AlbumListing()

    def unopened(exc: OSError) -> None:  # os.walk skips such a folder without a word
        listing.unopened.append((str(exc.filename), exc.strerror or type(exc).__name__))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unopened, followlinks=False):
        check_stop(should_stop)
        listing.skipped.extend(os.path.join(dirpath, d) for d in dirnames
                               if left_out(d) and not d.startswith("."))
        dirnames[:] = sorted(d for d in dirnames if not left_out(d))
        for name in sorted(filenames):
            if is_photo(name):
                listing.photos.append(Path(dirpath) / name)
            elif not name.startswith(".") and name.lower() not in SYSTEM_FILES:
                listing.other_files[os.path.splitext(name)[1].lower()] += 1
    return listing
