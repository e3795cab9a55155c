"""Which files of an albums folder are read, and why an album gave no photo (no torch).

An album is a sub-folder of the albums folder; its photos are the photo files below it. Hidden
folders are skipped, and so are the folders that file servers and systems make among photos
(a Synology NAS puts a thumbnail of every photo in @eaDir) and all but the originals of a photo
app's library (a Photos library's previews): their pictures are copies, and read as an album or
as photos of one they would teach the model a label that is not the user's.
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

# The app's walk leaves out the same folders: one rule (desktop_app.core.scan.left_out).
SYSTEM_FOLDERS_WORDS = ("thumbnails and recycle bins that file servers and systems make, or "
                        "photo apps' previews and caches")
# Files Windows leaves in picture folders: not the user's, so not named as files left out.
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db"})
# Sidecars that describe a photo (Lightroom's .xmp, an iPhone's edits in .aae, Google Takeout's
# .json): not pictures, so not counted among the files to "save as JPEG".
SIDECARS = frozenset({".xmp", ".aae", ".json"})


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
            return ("its photo could not be read" if unreadable == 1 else
                    f"none of its {unreadable} photos could be read") + " (named above)"
        if self.unopened:
            return f"{plural(len(self.unopened), 'folder')} in it cannot be opened (named above)"
        if self.other_files:
            kinds = ", ".join(f"{n} {suffix or 'without a suffix'}" for suffix, n in
                              self.other_files.most_common(4))
            return (f"it holds only {plural(sum(self.other_files.values()), 'file')} that "
                    f"{'is' if sum(self.other_files.values()) == 1 else 'are'} not photos "
                    f"Lookalike reads ({kinds}): save them as JPEG, PNG, HEIC or WebP to train "
                    "on them")
        if self.skipped:  # e.g. a Photos library whose originals are in iCloud: only previews
            return (f"it holds no photos outside {plural(len(self.skipped), 'folder')} of "
                    f"{SYSTEM_FOLDERS_WORDS}, left out (listed among the skipped folders): put "
                    "the original photos in it to train on them")
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


class AlbumsFolder(os.PathLike):
    """An albums folder listed once, when first needed, for a whole command: `run` checks
    whether the albums changed since its run folder was made, counts their photos for its start
    report, fingerprints the listing and reads the photos, and each walked the folder anew (four
    walks of tens of thousands of files on a NAS). It stands for the folder (os.PathLike)
    wherever one is taken; `should_stop` is looked at while it lists (check_stop)."""

    def __init__(self, root: str | os.PathLike,
                 should_stop: Callable[[], bool] | None = None) -> None:
        self.given = os.fspath(root)  # as given: what messages name
        self.root = Path(root).expanduser()
        self.should_stop = should_stop
        self.digest: str | None = None  # albums.listing_digest, taken once
        self._top: tuple[list[Path], list[str], int] | None = None
        self._listings: list[AlbumListing] | None = None

    def __fspath__(self) -> str:
        return self.given

    def top(self) -> tuple[list[Path], list[str], int]:
        """(its albums, sorted; the system folders left out; the photo files lying in it)."""
        if self._top is None:
            albums, skipped, loose = [], [], 0
            # By its name on disk, as the app's walk judges its root: "." or ".." given inside
            # a photo app's library is one too.
            holder = os.path.realpath(self.root)
            for d in folder_entries(self.root):
                if d.is_dir():
                    if not d.name.startswith("."):
                        (skipped.append(str(d)) if left_out(d.name, holder)
                         else albums.append(d))
                elif is_photo(d.name) and not left_out(d.name, holder) and d.is_file():
                    loose += 1
            self._top = albums, skipped, loose
        return self._top

    def listings(self) -> list[AlbumListing]:
        """list_album of each album, in the order of top()."""
        if self._listings is None:
            self._listings = [list_album(d, self.should_stop) for d in self.top()[0]]
        return self._listings


def albums_folder(root: str | os.PathLike,
                  should_stop: Callable[[], bool] | None = None) -> AlbumsFolder:
    """`root` when it is listed already, else an AlbumsFolder of it."""
    return root if isinstance(root, AlbumsFolder) else AlbumsFolder(root, should_stop)


def list_album(folder: Path, should_stop: Callable[[], bool] | None = None) -> AlbumListing:
    """The photo files below `folder`, in a stable order; Stopped (check_stop) between its
    folders. A link to a folder is followed, as the app's walk follows it (a sub-folder linked
    in was left out unsaid), but each folder is walked once, and never a link to the album or a
    folder above it (the albums folder: every album's photos would get this album's label)."""
    listing = AlbumListing()
    walked = set()
    # The album and every folder above it, as it is named (the albums folder among them, also
    # when the album is a link to a folder elsewhere) and as it is on disk: a folder that is one
    # of them is a loop, whatever led to it (os.path.islink says False of a Windows junction).
    above = set()
    for path in {Path(os.path.abspath(folder)), Path(os.path.realpath(folder))}:
        for p in (path, *path.parents):
            try:
                st = os.stat(p)
            except OSError:
                continue
            above.add((st.st_dev, st.st_ino))

    def unopened(exc: OSError) -> None:  # os.walk skips such a folder without a word
        listing.unopened.append((str(exc.filename), exc.strerror or type(exc).__name__))

    def first_walk(path: str) -> bool:
        try:
            st = os.stat(path)
        except OSError:  # gone since it was listed: os.walk says so if it cannot open it
            return True
        if (st.st_dev, st.st_ino) in walked or (st.st_dev, st.st_ino) in above:
            return False
        walked.add((st.st_dev, st.st_ino))
        return True

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unopened, followlinks=True):
        check_stop(should_stop)
        listing.skipped.extend(os.path.join(dirpath, d) for d in dirnames
                               if left_out(d, dirpath) and not d.startswith("."))
        dirnames[:] = [d for d in sorted(dirnames)
                       if not left_out(d, dirpath) and first_walk(os.path.join(dirpath, d))]
        for name in sorted(filenames):
            # Skipped as the app's walk skips it: a hidden file (a Mac's ._IMG_1.jpg), or one
            # lying in a photo app's library.
            if left_out(name, dirpath):
                continue
            if is_photo(name):
                listing.photos.append(Path(dirpath) / name)
            elif name.lower() not in SYSTEM_FILES:
                suffix = os.path.splitext(name)[1].lower()
                if suffix not in SIDECARS:
                    listing.other_files[suffix] += 1
    return listing
