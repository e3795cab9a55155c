"""Labelled albums -> a manifest (no torch: `inspect` runs in the app's process budget).

An albums root holds one sub-folder per label (photos in nested folders count for the top one;
hidden and system folders are skipped: album_files.py).
A photo present in several albums (same content fingerprint) is one photo with several labels,
and a camera's RAW+JPEG pair is one photo (raw_twins.py).
Unreadable photos are listed with the reason and skipped. The manifest records a seeded
train / validation / query split (database = every non-query photo) and a dataset fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.core.errors import LookalikeError, PhotoReadError
from desktop_app.core.images import load_photo

from .album_files import SYSTEM_FOLDERS_WORDS, albums_folder, check_stop
from .album_reads import AlbumReads
from .errors import TrainerError
from .raw_twins import counted_as
from .wording import command, plural

MANIFEST_VERSION = 1
SPLITS = ("train", "val", "query")


class AlbumError(TrainerError):
    """The albums cannot be trained on (no photos, a single label...): exit code 2."""


@dataclass
class AlbumPhoto:
    path: str  # absolute
    fingerprint: str
    labels: list[int]
    split: str = "train"


@dataclass
class AlbumScan:
    root: str
    labels: list[str]
    photos: list[AlbumPhoto]
    unreadable: list[dict[str, str]] = field(default_factory=list)  # {"path", "message"}
    empty_albums: list[str] = field(default_factory=list)
    empty_reasons: dict[str, str] = field(default_factory=dict)  # album -> why it is empty
    skipped_folders: list[str] = field(default_factory=list)  # system folders (album_files)
    loose_photos: int = 0  # photo files directly in root, which no album labels
    copies: int = 0  # readable files whose content another file read before holds
    same_album_copies: int = 0  # of those, copies within one album (they add no label)
    raw_twins: int = 0  # readable files left out as the twin of a photo (raw_twins.py)

    def per_label(self) -> dict[str, int]:
        counts = {name: 0 for name in self.labels}
        for p in self.photos:
            for lab in p.labels:
                counts[self.labels[lab]] += 1
        return counts

    def summary(self) -> dict[str, Any]:
        """What `inspect --json` prints."""
        return {"photos": len(self.photos), "labels": len(self.labels),
                "per_label": self.per_label(), "unreadable": self.unreadable,
                "empty_albums": self.empty_albums, "loose_photos": self.loose_photos,
                "multi_label_photos": sum(1 for p in self.photos if len(p.labels) > 1),
                "copies": self.copies, "raw_twins": self.raw_twins,
                "skipped_folders": self.skipped_folders}

    def copies_note(self) -> str:
        """Why fewer photos are counted than readable files were found ("" without copies)."""
        return copies_note(self.photos, self.same_album_copies, self.raw_twins)


def copies_note(photos: list[AlbumPhoto], same_album_copies: int = 0, raw_twins: int = 0) -> str:
    """'3 photos are copies found in several albums (each counts once, with several labels)':
    said with the photo count, else 6 files in 2 albums read as 3 photos leave people puzzled."""
    several = sum(1 for p in photos if len(p.labels) > 1)
    parts = []
    if several:
        parts.append(f"{plural(several, 'photo')} {'is a copy' if several == 1 else 'are copies'}"
                     " found in several albums (each counts once, with several labels)")
    if same_album_copies:
        parts.append(f"{plural(same_album_copies, 'file')} "
                     f"{'is a copy' if same_album_copies == 1 else 'are copies'} of another "
                     "photo in the same album (counted once)")
    if raw_twins:
        parts.append(f"{plural(raw_twins, 'file')} {'is' if raw_twins == 1 else 'are'} the "
                     "RAW+JPEG twin of a photo in the same folder (the same picture, counted "
                     "once)")
    return "; ".join(parts)


def count_loose_photos(root: str | os.PathLike) -> int:
    """Photo files lying directly in the albums folder: no sub-folder names their label."""
    folder = albums_folder(root)
    return folder.top()[2] if folder.root.is_dir() else 0


def loose_photos_warning(root: str | os.PathLike, count: int) -> str:
    """Why photos the user put in the albums folder are not trained on, and what to do."""
    were = "photo lying directly in {} was" if count == 1 else "photos lying directly in {} were"
    return (f"{count} {were.format(Path(root).expanduser())} ignored: labels come from "
            f"sub-folders, so move {'it' if count == 1 else 'each'} into the sub-folder of its "
            "label")


StopCheck = Callable[[], bool] | None  # should_stop: the listings raise Stopped when it says so


def count_candidates(root: str | os.PathLike, should_stop: StopCheck = None
                     ) -> tuple[int, int]:
    """(photo files, albums) found without reading any photo: for an early progress report."""
    folder = albums_folder(root, should_stop)
    if not folder.root.is_dir():
        return 0, 0
    return sum(len(listing.photos) for listing in folder.listings()), len(folder.top()[0])


def listing_digest(root: str | os.PathLike, should_stop: StopCheck = None) -> str:
    """sha256 over (album, file, size, mtime) of every photo file, without reading any: tells in
    a moment whether the albums changed since a manifest was made (a resume reuses it then).
    Taken once per AlbumsFolder, before any photo is read: a file changed later makes it stale."""
    folder = albums_folder(root, should_stop)
    if not folder.root.is_dir():
        return ""
    if folder.digest is None:
        h = hashlib.sha256()
        for listing in folder.listings():
            for f in listing.photos:
                check_stop(folder.should_stop)
                try:
                    st = f.stat()
                except OSError:
                    continue
                h.update(f"{f.relative_to(folder.root)}\0{st.st_size}\0{st.st_mtime_ns}\n"
                         .encode("utf-8", "surrogateescape"))
        folder.digest = h.hexdigest()
    return folder.digest


def read_photo(f: Path) -> str | dict[str, str]:
    """The photo's fingerprint, or {"path", "message"} saying why it cannot be read (a small
    draft decode proves it is readable)."""
    try:
        return load_photo(f, min_size=(64, 64)).fingerprint
    except PhotoReadError as exc:
        # The reader's own remedy speaks of the app's indexing ("it will be retried"),
        # which does not hold here: the trainer skips the photo until it is fixed.
        reason = exc.reason
        if f.is_symlink() and not f.exists():  # the reader says "deleted while reading"
            reason = (f"this is a link to {os.readlink(f)}, which does not exist (moved, "
                      "deleted, or on a drive that is not connected)")
        message = LookalikeError(exc.path, f"{reason}; this photo is skipped",
                                 "Fix or remove the file, then run the trainer again")
        return {"path": str(f), "message": str(message)}


def read_photos(root: Path, files: list[Path], progress: Callable[[int, int], None] | None,
                reads: AlbumReads | None = None, should_stop: StopCheck = None
                ) -> list[str | dict[str, str]]:
    """read_photo of each file, in order. `reads`: fingerprints read before a stop, taken for
    the files unchanged since and not read again; what is read now is added to it, so that a
    stop (raised by `progress`) keeps it. Progress counts those taken as done at once, and its
    time left comes from the photos read now."""
    looked: list[tuple | None] = [None] * len(files)  # (key, fingerprint) looked up before
    if reads and reads.entries:  # else nothing is known: each file's key is taken as it is read
        for i, f in enumerate(files):
            check_stop(should_stop)
            looked[i] = reads.lookup(root, f)
    done = sum(entry is not None and entry[1] is not None for entry in looked)
    if reads:
        reads.files, reads.kept = len(files), done
    if progress and done:
        progress(done, len(files))
    out: list[str | dict[str, str]] = []
    for f, entry in zip(files, looked, strict=True):
        key, known = entry or (None, None)
        if known is None:
            if reads and entry is None:
                key = reads.key(f)  # before reading: a change while it is read shows later
            known = read_photo(f)
            if reads and isinstance(known, str):
                reads.add(root, f, key, known)
                reads.kept += 1
            done += 1
            if progress:
                progress(done, len(files))
        out.append(known)
    return out


def scan_albums(root: str | os.PathLike, progress: Callable[[int, int], None] | None = None,
                reads: AlbumReads | None = None, should_stop: StopCheck = None) -> AlbumScan:
    """Read every photo once (read_photos; `reads`: what a stopped reading kept). `root` may be
    an AlbumsFolder listed already: its listing is the one read."""
    folder = albums_folder(root, should_stop)
    root = folder.root
    if root.exists() and not root.is_dir():
        raise AlbumError(root, "this is a file, not a folder of albums",
                         "Give a folder that holds one sub-folder of photos per label")
    if not root.is_dir():
        raise AlbumError(root, "this albums folder does not exist",
                         "Give a folder with one sub-folder of photos per label")
    albums, top_skipped, loose = folder.top()
    if not albums:
        raise AlbumError(root, "this folder has no sub-folders, so there are no labels",
                         "Put the photos of each label (person, place, subject...) in their "
                         "own sub-folder")
    listings = folder.listings()
    files = [(i, f) for i, listing in enumerate(listings) for f in listing.photos]
    by_fingerprint: dict[str, AlbumPhoto] = {}
    unreadable, used, failed = [], set(), Counter()
    skipped = list(top_skipped)  # the listing's own stays as it is
    album_paths = {str(d) for d in albums}
    for listing in listings:
        skipped += listing.skipped
        for folder, why in listing.unopened:
            if folder not in album_paths:  # an album itself is said to be empty
                message = LookalikeError(folder, f"this folder cannot be opened ({why}); the "
                                         "photos in it are skipped", "Make it readable, then "
                                         "run the trainer again")
                unreadable.append({"path": folder, "message": str(message)})
    copies = same_album_copies = twins = 0
    outcomes = read_photos(root, [f for _, f in files], progress, reads, should_stop)
    readable = []
    for (label, f), outcome in zip(files, outcomes, strict=True):
        if isinstance(outcome, dict):  # could not be read: {"path", "message"}
            unreadable.append(outcome)
            failed[label] += 1
            continue
        readable.append((label, f, outcome))
        used.add(label)
    # A RAW+JPEG pair is one photo (raw_twins.py): the twin left out comes after the photos
    # kept, so that these are made, in their order, as without it.
    photo_of = counted_as([(f, fp) for _, f, fp in readable], lambda: check_stop(should_stop))
    readable.sort(key=lambda item: photo_of.get(item[2], item[2]) != item[2])
    labels_of: dict[str, set[int]] = {}  # fingerprint -> the albums of its files so far
    for label, f, fp in readable:
        photo = by_fingerprint.get(photo_of.get(fp, fp))
        if photo is None:
            by_fingerprint[fp] = AlbumPhoto(str(f.resolve()), fp, [label])
        elif fp in labels_of:
            copies += 1
            if label in labels_of[fp]:
                same_album_copies += 1
            elif label not in photo.labels:
                photo.labels.append(label)
        else:
            twins += 1
            if label not in photo.labels:
                photo.labels.append(label)
        labels_of.setdefault(fp, set()).add(label)
    empty = [str(albums[i]) for i in range(len(albums)) if i not in used]
    reasons = {str(albums[i]): listings[i].empty_reason(albums[i], failed[i])
               for i in range(len(albums)) if i not in used}
    # Labels are the albums that hold at least one readable photo; renumber densely.
    keep = [i for i in range(len(albums)) if i in used]
    remap = {old: new for new, old in enumerate(keep)}
    photos = list(by_fingerprint.values())
    for p in photos:
        p.labels = sorted(remap[lab] for lab in p.labels)
    return AlbumScan(str(root.resolve()), [albums[i].name for i in keep], photos, unreadable,
                     empty, reasons, skipped, loose, copies,
                     same_album_copies, twins)


def empty_album_line(folder: str, reason: str) -> str:
    """How `inspect` and the log of `prepare` name an album left out of the labels."""
    return f"skipped album (no readable photos, so it is not a label): {folder}: {reason}"


def skipped_folders_line(folders: list[str]) -> str:
    return f"skipped {plural(len(folders), 'folder')} of {SYSTEM_FOLDERS_WORDS}: " + \
        ", ".join(folders)


def check_trainable(scan: AlbumScan) -> None:
    """Raise AlbumError with one clear sentence when these albums cannot train a model."""
    root = scan.root
    # Else the albums the user counted on vanish unexplained: the log saying why comes later.
    why = "".join(f"; '{Path(folder).name}' gave none: {reason}"
                  for folder, reason in scan.empty_reasons.items())
    if not scan.photos:
        extra = f" ({len(scan.unreadable)} files could not be read)" if scan.unreadable else ""
        raise AlbumError(root, f"the albums hold no readable photos{extra}{why}",
                         "Add photos (JPEG, PNG, HEIC, WebP, camera raw...) to one sub-folder "
                         "per label")
    if len(scan.labels) < 2:
        raise AlbumError(root, f"only one album ('{scan.labels[0]}') has photos, and learning "
                         f"what makes photos similar needs at least two labels{why}",
                         "Add a second sub-folder with photos of something else")
    if len(scan.photos) < 6:
        note = scan.copies_note()
        raise AlbumError(root, f"only {plural(len(scan.photos), 'readable photo')}"
                         f"{f', as {note}' if note else ''}; training needs at least 6 (a few "
                         "per label)", "Add more photos to the albums")


def assign_splits(scan: AlbumScan, seed: int = 0, val_fraction: float = 0.1,
                  query_fraction: float = 0.1) -> None:
    """Seeded split per label (by a photo's first label); at least one training photo each.
    A RAW+JPEG pair is one photo already (raw_twins.py), so its twins share a split, and albums
    without twins keep the split they had (run folders and caches go by it)."""
    rng = np.random.default_rng(seed)
    order = sorted(range(len(scan.photos)), key=lambda i: scan.photos[i].fingerprint)
    by_label: dict[int, list[int]] = {}
    for i in order:
        by_label.setdefault(scan.photos[i].labels[0], []).append(i)
    for label in sorted(by_label):
        members = by_label[label]
        rng.shuffle(members)
        n = len(members)
        n_query = max(1 if n >= 3 else 0, round(n * query_fraction))
        n_val = max(1 if n >= 3 else 0, round(n * val_fraction))
        for j, i in enumerate(members):
            scan.photos[i].split = "query" if j < n_query else (
                "val" if j < n_query + n_val else "train")


def check_splits(scan: AlbumScan) -> None:
    """Training needs 2+ training and 2+ validation photos; say which albums to grow before any
    feature is extracted. An album gives a validation photo only from 3 photos on."""
    counts = {s: sum(1 for p in scan.photos if p.split == s) for s in SPLITS}
    if counts["val"] >= 2 and counts["train"] >= 2:
        return
    sizes: dict[int, int] = {}
    for p in scan.photos:  # the split goes by a photo's first label
        sizes[p.labels[0]] = sizes.get(p.labels[0], 0) + 1
    small = [(scan.labels[i], n) for i, n in sorted(sizes.items()) if n < 3]
    if counts["val"] < 2 and small:
        names = ", ".join(f"'{name}' has {n}" for name, n in small)
        grow = f"'{small[0][0]}' until it holds" if len(small) == 1 else \
            f"{['two', 'one'][counts['val']]} of these albums until each holds"
        raise AlbumError(scan.root, f"{['no photo', 'only 1 photo'][counts['val']]} can be set "
                         "aside for validation, and training needs at least 2: an album gives "
                         f"one only when it holds 3 or more photos ({names})",
                         f"Add photos to {grow} at least 3")
    raise AlbumError(scan.root, f"the split leaves {counts['train']} training and "
                     f"{counts['val']} validation photos, and training needs at least 2 of each",
                     "Add photos to the albums, or lower data.val_fraction and "
                     "data.query_fraction")


def dataset_fingerprint(scan: AlbumScan) -> str:
    h = hashlib.sha256()
    for p in sorted(scan.photos, key=lambda p: p.fingerprint):
        # surrogateescape: an album name that is not UTF-8 (an old zip, a Latin-1 share)
        h.update(f"{p.fingerprint}:{','.join(scan.labels[i] for i in p.labels)}\n".encode(
            "utf-8", "surrogateescape"))
    return h.hexdigest()


@dataclass
class Manifest:
    root: str
    labels: list[str]
    photos: list[AlbumPhoto]
    seed: int
    fingerprint: str
    unreadable: list[dict[str, str]] = field(default_factory=list)
    empty_albums: list[str] = field(default_factory=list)
    created: float = 0.0
    listing: str = ""  # listing_digest of the root when the manifest was made
    same_album_copies: int = 0  # files left out as copies of a photo in the same album
    empty_reasons: dict[str, str] = field(default_factory=dict)
    skipped_folders: list[str] = field(default_factory=list)
    raw_twins: int = 0  # files left out as the twin of a photo (raw_twins.py)

    def copies_note(self) -> str:
        return copies_note(self.photos, self.same_album_copies, self.raw_twins)

    def paths(self, split: str | None = None) -> list[str]:
        return [p.path for p in self.photos if split is None or p.split == split]

    def indices(self, split: str) -> np.ndarray:
        if split == "database":
            return np.array([i for i, p in enumerate(self.photos) if p.split != "query"], int)
        return np.array([i for i, p in enumerate(self.photos) if p.split == split], int)

    def multi_hot(self) -> np.ndarray:
        y = np.zeros((len(self.photos), len(self.labels)), np.float32)
        for i, p in enumerate(self.photos):
            y[i, p.labels] = 1.0
        return y

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for p in self.photos if p.split == s) for s in SPLITS}

    def split_digest(self) -> str:
        """Changes when any photo moves to another split (a checkpoint belongs to one split)."""
        text = "".join(f"{p.fingerprint}:{p.split}\n" for p in
                       sorted(self.photos, key=lambda p: p.fingerprint))
        return hashlib.sha256(text.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {"version": MANIFEST_VERSION, "root": self.root, "labels": self.labels,
                "seed": self.seed, "fingerprint": self.fingerprint, "created": self.created,
                "splits": self.counts(), "unreadable": self.unreadable,
                "empty_albums": self.empty_albums, "listing": self.listing,
                "same_album_copies": self.same_album_copies,
                "empty_album_reasons": self.empty_reasons,
                "skipped_folders": self.skipped_folders, "raw_twins": self.raw_twins,
                "photos": [{"path": p.path, "fingerprint": p.fingerprint, "labels": p.labels,
                            "split": p.split} for p in self.photos]}

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Manifest:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AlbumError(path, "the manifest does not exist",
                             f"Run `{command()} prepare ALBUMS --out RUN_DIR` first")
        except (OSError, json.JSONDecodeError) as exc:
            raise AlbumError(path, f"the manifest cannot be read ({exc})",
                             f"Run `{command()} prepare` again") from exc
        if not isinstance(raw, dict):
            raise AlbumError(path, "the manifest is not a manifest (not a JSON object)",
                             f"Run `{command()} prepare` again")
        if raw.get("version") != MANIFEST_VERSION:
            raise AlbumError(path, f"manifest version {raw.get('version')!r} is not supported",
                             f"Run `{command()} prepare` again")
        try:
            photos = [AlbumPhoto(p["path"], p["fingerprint"], list(p["labels"]), p["split"])
                      for p in raw["photos"]]
            return cls(raw["root"], list(raw["labels"]), photos, int(raw["seed"]),
                       raw["fingerprint"], list(raw.get("unreadable", [])),
                       list(raw.get("empty_albums", [])), float(raw.get("created", 0)),
                       str(raw.get("listing", "")), int(raw.get("same_album_copies", 0)),
                       dict(raw.get("empty_album_reasons", {})),
                       list(raw.get("skipped_folders", [])), int(raw.get("raw_twins", 0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise AlbumError(path, f"the manifest is damaged ({type(exc).__name__}: {exc})",
                             f"Run `{command()} prepare` again") from exc


def prepare(root: str | os.PathLike, seed: int = 0, val_fraction: float = 0.1,
            query_fraction: float = 0.1, progress: Callable[[int, int], None] | None = None,
            reads: AlbumReads | None = None, should_stop: StopCheck = None) -> Manifest:
    root = albums_folder(root, should_stop)  # one listing serves the digest and the reading
    # before reading: a file added meanwhile makes it stale
    listing = listing_digest(root)
    scan = scan_albums(root, progress, reads, should_stop)
    check_trainable(scan)
    assign_splits(scan, seed, val_fraction, query_fraction)
    check_splits(scan)
    return Manifest(scan.root, scan.labels, scan.photos, seed, dataset_fingerprint(scan),
                    scan.unreadable, scan.empty_albums, time.time(), listing,
                    scan.same_album_copies, scan.empty_reasons, scan.skipped_folders,
                    scan.raw_twins)
