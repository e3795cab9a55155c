"""A camera's RAW+JPEG pairs: one picture written twice, shown as one photo (no Qt).

A camera set to RAW+JPEG (or RAW+HEIF) writes IMG_0001.CR2 and IMG_0001.JPG side by side: other
bytes and codes a bit or two apart, but the same picture. Listed as two photos, every search
result came twice (the raw at distance 0 of its JPEG) and every pair made a duplicate group
with its JPEG ticked for the trash. As Apple Photos and Lightroom do, the app shows such a pair
as one photo: a search lists the JPEG (marked as having a raw), never the raw beside it nor the
twin of the photo searched for; a duplicate group lists the raw, its JPEG going with it.

Twins are two files of one folder whose names differ only by their suffix (case aside, both in
NFC: macOS gives names in NFD), one a camera raw by its suffix and the other not (a JPEG, HEIF,
TIFF, PNG...). Only paths are looked at, no file is read. A search or a duplicates search looks
only at those of its hits or its groups' photos, never the whole library's (but for one of a
few photos, where a search found none: are they all the twins of the photo searched for?):
3.4 us a path, 0.5 ms for the 81 hits of a page of 40 (2-core machine). The app's results and
Duplicates tab and the command line's `similar` and `duplicates` go through closest_pictures
and duplicate_pictures: one rule for both. The app's library grid shows a pair once too: there
PictureFiles holds the whole library's paths, once it holds a raw, each taken apart once as its
photo comes (picture_key: 1 us).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace

import numpy as np

from .camera_raw import RAW_EXTENSIONS, is_raw_name
from .duplicates import SearchStopped
from .hashing import HammingIndex, hamming_distances
from .records import Match

TwinKey = tuple[str, str]  # (folder, name without its suffix, case-folded)

_JPEG_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".jfif"})


def twin_key(path: str | os.PathLike) -> TwinKey:
    """What the files of one picture share: their folder and their name without its suffix,
    case-folded; both in NFC, so a name macOS gives in NFD matches one typed or copied."""
    folder, name = os.path.split(os.fsdecode(path))
    stem = os.path.splitext(name)[0]
    return _nfc(folder), _nfc(_nfc(stem).casefold())


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def are_twins(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether `a` and `b` are one picture's raw file and its JPEG (or HEIC, ...)."""
    return is_raw_name(a) != is_raw_name(b) and twin_key(a) == twin_key(b)


def twin_groups(paths: Sequence[str | os.PathLike]) -> list[list[int]]:
    """Indices (into `paths`) of the files of each picture that has twins among `paths`: a group
    for each folder and name holding a camera raw and a file that is not (two raws of one name
    are not twins of each other, but both are the JPEG's), in the order of `paths`."""
    by_key: dict[TwinKey, list[int]] = {}
    for i, path in enumerate(paths):
        by_key.setdefault(twin_key(path), []).append(i)
    return [group for group in by_key.values() if len(group) > 1
            and len({is_raw_name(paths[i]) for i in group}) == 2]


def kind_name(path: str | os.PathLike) -> str:
    """The kind of file a twin is, as cameras name the setting: "JPEG", "HEIC", "HIF"..."""
    suffix = os.path.splitext(os.fsdecode(path))[1].lower()
    return "JPEG" if suffix in _JPEG_SUFFIXES else suffix[1:].upper()


def pair_label(match: Match) -> str:
    """The mark of a match that stands for a RAW+JPEG pair, its `twins` left out ("RAW+JPEG",
    "RAW+HEIC"...); none ("") for another."""
    return files_pair_label(match.path, match.twins)


def files_pair_label(path: str, twins: Sequence[str]) -> str:
    """pair_label of the file at `path` shown for its `twins` beside it (a library grid's
    photo, which is no Match)."""
    if not twins:
        return ""
    other = twins[0] if is_raw_name(path) else path
    return f"RAW+{kind_name(other)}"


def may_hold_raws(paths: Iterable[str]) -> bool:
    """False if none of `paths` is a raw's (is_raw_name); True if one may be: a suffix, where
    a name has one, follows the path's last dot. 28-44 ms for a library of 200,000 photos on
    a 2-core machine (each path's is_raw_name took 130 ms)."""
    return any(suffix.lower() in RAW_EXTENSIONS
               for suffix in {path[path.rfind("."):] for path in paths})


_POSIX = os.sep == "/" and os.altsep is None


def picture_key(path: str) -> tuple[str, bool]:
    """twin_key(path) as one string (its folder and name joined by a NUL, which no path holds)
    and is_raw_name(path). A path of the usual shape in ASCII on POSIX ("/folder/name.suffix":
    NFC changes nothing there, casefold only the letters' case) is taken apart here as
    os.path does, in 1 us: twin_key and is_raw_name took 2.8 us (0.6 s for a library of
    200,000 files)."""
    if _POSIX and path.isascii():
        cut, dot = path.rfind("/"), path.rfind(".")
        # A folder not ending in "/" (split strips those), a name not starting with a dot
        # (splitext skips those), with a suffix.
        if 0 < cut < dot - 1 and path[cut - 1] != "/" and path[cut + 1] != ".":
            return (f"{path[:cut]}\0{path[cut + 1:dot].lower()}",
                    path[dot:].lower() in RAW_EXTENSIONS)
    folder, stem = twin_key(path)
    return f"{folder}\0{stem}", is_raw_name(path)


class PictureFiles:
    """A library's files by picture, as files come and go (the app's library grid, which shows
    each picture once): a camera raw and the files of its folder and name that are not raws (a
    JPEG, a HEIC: twin_key) are one picture. Files are told by id and path; each change and
    lookup is a dict's, the path taken apart once (picture_key), no file read. A picture's
    files are kept as an id, or a tuple of ids for the rare picture with more than one of a
    kind: no list a picture, which Python's garbage collector went through again and again
    (0.5 s of a library of 200,000 files)."""

    def __init__(self) -> None:
        self._others: dict[str, int | tuple[int, ...]] = {}  # files that are not raws
        self._raws: dict[str, int | tuple[int, ...]] = {}

    def add(self, file_id: int, path: str) -> str:
        """File the file at `path`; its picture's key."""
        key, raw = picture_key(path)
        files = self._raws if raw else self._others
        had = files.get(key)
        files[key] = file_id if had is None else (*_ids(had), file_id)
        return key

    def remove(self, file_id: int, path: str) -> str:
        """Forget the file filed as at `path`; its picture's key."""
        key, raw = picture_key(path)
        files = self._raws if raw else self._others
        left = tuple(i for i in _ids(files.get(key)) if i != file_id)
        if not left:
            files.pop(key, None)
        else:
            files[key] = left[0] if len(left) == 1 else left
        return key

    def files(self, key: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The ids of the picture's files that are not raws, and of its raws, as filed."""
        return _ids(self._others.get(key)), _ids(self._raws.get(key))

    def pairs(self) -> Iterator[tuple[tuple[int, ...], tuple[int, ...]]]:
        """files() of each picture with both a raw and a file that is not one."""
        for key, raws in self._raws.items():
            others = self._others.get(key)
            if others is not None:
                yield _ids(others), _ids(raws)


def _ids(filed: int | tuple[int, ...] | None) -> tuple[int, ...]:
    return () if filed is None else filed if isinstance(filed, tuple) else (filed,)


class OnePerPicture:
    """Search results with each RAW+JPEG pair once, added as the hits come (closest first): a
    raw whose twin is among them is left out, that twin's match naming it in `twins`; the
    twins of the photo searched for (`query_path`) are left out as well."""

    def __init__(self, query_path: str | os.PathLike = "") -> None:
        self._query = (twin_key(query_path), is_raw_name(query_path)) if query_path else None
        self._added: list[tuple[Match, TwinKey, bool, bool]] = []  # match, key, raw, own twin
        self._raws_shown: dict[TwinKey, int] = {}  # raws counted, no twin of theirs added yet
        self._with_twin: set[TwinKey] = set()  # names of files that are not raws (not own twins)
        self.count = 0  # the results so far
        self.own_twins = 0  # twins of the photo searched for, left out

    def is_own_twin(self, path: str | os.PathLike) -> bool:
        """Whether `path` is a twin of the photo searched for (its raw, or its JPEG)."""
        return (self._query is not None and twin_key(path) == self._query[0]
                and is_raw_name(path) != self._query[1])

    def add(self, match: Match, most: int | None = None) -> bool:
        """Add the next hit, unless it would make more than `most` results (False then). A
        search stops there: its results are those of the closest hits, with every hit after
        them that adds none (a raw whose JPEG is among them marks it), so a longer list (Show
        more) holds the same ones, but where a twin comes only after other results."""
        key, raw = twin_key(match.path), is_raw_name(match.path)
        own = self._query is not None and key == self._query[0] and raw != self._query[1]
        if own:
            gain = 0
        elif raw:
            gain = 0 if key in self._with_twin else 1
        else:  # it takes the place of its raws counted
            gain = 1 - self._raws_shown.get(key, 0)
        if most is not None and self.count + gain > most:
            return False
        self._added.append((match, key, raw, own))
        self.count += gain
        if own:
            self.own_twins += 1
        elif raw:
            if key not in self._with_twin:
                self._raws_shown[key] = self._raws_shown.get(key, 0) + 1
        else:
            self._with_twin.add(key)
            self._raws_shown.pop(key, None)
        return True

    def results(self) -> list[Match]:
        raws: dict[TwinKey, list[str]] = {}
        for match, key, raw, _ in self._added:
            if raw:
                raws.setdefault(key, []).append(match.path)
        shown = []
        for match, key, raw, own in self._added:
            if own or (raw and key in self._with_twin):
                continue
            shown.append(replace(match, twins=tuple(raws[key]))
                         if not raw and key in raws else match)
        return shown


def without_raw_twins(group: Sequence[Match]) -> list[Match]:
    """A duplicate group with each RAW+JPEG pair once, as its raw (the photo the keeper keeps):
    a file that is not a raw whose raw twin is in the group leaves it, that raw's match naming
    it in `twins`, so it is never offered for the trash as a copy of its own raw. A pair alone
    comes back as one photo: no duplicate group."""
    paths = [m.path for m in group]
    twins_of: dict[int, tuple[str, ...]] = {}  # a raw's index -> the twins leaving the group
    leaving: set[int] = set()
    for indices in twin_groups(paths):
        others = [i for i in indices if not is_raw_name(paths[i])]
        leaving.update(others)
        for i in indices:
            if is_raw_name(paths[i]):
                twins_of[i] = tuple(paths[j] for j in others)
    return [replace(m, twins=twins_of[i]) if i in twins_of else m
            for i, m in enumerate(group) if i not in leaving]


def closest_pictures(index: HammingIndex, code: np.ndarray,
                     paths_of: Callable[[list[int]], Mapping[int, str]], k: int | None,
                     max_distance: int | None = None, exclude: Collection[int] = (),
                     query_path: str = "") -> tuple[OnePerPicture, bool]:
    """The `k` closest pictures to `code` (all within the distance for None), by distance then
    id, each RAW+JPEG pair once and the twins of the photo at `query_path` left out
    (OnePerPicture): the results of the closest hits up to the one that would make `k` + 1.
    So the first 80 leave out every raw the first 40 did, its twin being among more hits, and
    each list holds as many results as it says. `paths_of(ids)` gives the paths of photo ids
    (one without a path is passed over). Returns the pictures (their results(), own_twins) and
    whether a hit was left that makes one more result: the count of photos cannot tell (two a
    result in a library shot RAW+JPEG)."""
    pictures = OnePerPicture(query_path)
    # Twice the hits at first: a library shot RAW+JPEG has two a result.
    fetch, seen, full = None if k is None else 2 * k + 1, 0, False
    while True:
        hits = index.search(code, k=fetch, max_distance=max_distance, exclude=exclude)
        paths = paths_of([hit.photo_id for hit in hits[seen:]])
        for hit in hits[seen:]:
            path = paths.get(hit.photo_id)
            if path is not None and not pictures.add(
                    Match(hit.photo_id, path, hit.distance, index.bits), most=k):
                full = True
                break
            seen += 1
        if fetch is None or full or len(hits) < fetch:
            break
        fetch *= 2
    return pictures, full


def duplicate_pictures(groups: Iterable[tuple[Sequence[Match], int]], index: HammingIndex,
                       should_stop: Callable[[], bool] | None = None) -> list[list[Match]]:
    """Duplicate groups, each given as its photos and the id of the photo their distances were
    measured from, with each RAW+JPEG pair once (without_raw_twins): a group left with one photo
    (a pair alone) goes, and a group whose first photo left it (a JPEG with a lower id than its
    raw) has its distances measured again, to its new first photo. Largest groups first (a
    stable sort: some lost photos). Raises SearchStopped once should_stop() is true, asked
    before each group (100,000 pairs take seconds)."""
    pictures = []
    for group, measured_from in groups:
        if should_stop is not None and should_stop():
            raise SearchStopped
        group = without_raw_twins(group)
        if len(group) > 1:
            pictures.append(_distances_to_first(group, index, measured_from))
    pictures.sort(key=len, reverse=True)
    return pictures


def _distances_to_first(group: list[Match], index: HammingIndex,
                        measured_from: int) -> list[Match]:
    """`group`'s distances to its first photo, which they were measured from unless that photo
    (`measured_from`) left the group."""
    first = index.code_of(group[0].photo_id)
    if group[0].photo_id == measured_from or first is None:
        return group
    codes = np.stack([index.code_of(m.photo_id) for m in group])
    return [replace(m, distance=int(d))
            for m, d in zip(group, hamming_distances(first, codes), strict=True)]
