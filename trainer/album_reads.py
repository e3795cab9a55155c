"""What reading the albums' photos gave, kept when the reading is stopped (no torch).

Reading the albums opens every photo: tens of thousands on a NAS take minutes. Stopped partway
(Ctrl-C), the fingerprints read so far are saved in the run folder, each under the photo's path
in the albums folder with its size and modification time, and the same command run again reads
only the photos not in that record or changed since (the trust `albums.listing_digest` puts in
size and time too). Only photos that were read are kept: one that could not be read is tried
again, since what fixes it (its permissions, a drive connected again) may leave its size and
time as they were. The record is deleted once the manifest is written.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from desktop_app.atomic_file import write_bytes_atomic

log = logging.getLogger(__name__)

READS = "albums-read.partial.json"  # in the run folder
VERSION = 1

Key = tuple[int, int]  # (size, mtime_ns), taken before the photo is read


class AlbumReads:
    """The fingerprints of the photos of one albums folder, by path under it, size and time."""

    def __init__(self, root: str | os.PathLike,
                 entries: dict[str, list] | None = None) -> None:
        self.root = str(Path(root).expanduser().resolve())
        self.entries = entries or {}  # relative path -> [size, mtime_ns, fingerprint]
        self.files = 0  # photo files of the last scan
        self.kept = 0  # of those, read now or before with a fingerprint in the record

    @classmethod
    def load(cls, path: Path, root: str | os.PathLike) -> AlbumReads:
        """The record at `path` when it is of this albums folder; else an empty one."""
        reads = cls(root)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return reads
        except (OSError, ValueError) as exc:
            log.warning("%s cannot be read (%s): the albums are read from the start", path, exc)
            return reads
        if (not isinstance(raw, dict) or raw.get("version") != VERSION
                or raw.get("root") != reads.root or not isinstance(raw.get("photos"), dict)):
            return reads  # another albums folder's, or of another trainer version
        reads.entries = {name: entry for name, entry in raw["photos"].items()
                         if isinstance(entry, list) and len(entry) == 3
                         and all(isinstance(v, int) for v in entry[:2])
                         and isinstance(entry[2], str)}
        return reads

    @staticmethod
    def key(f: Path) -> Key | None:
        """The file's (size, mtime_ns) now; None when it is gone (the reading says why)."""
        try:
            st = f.stat()
        except OSError:  # gone, or a broken link
            return None
        return st.st_size, st.st_mtime_ns

    def lookup(self, root: Path, f: Path) -> tuple[Key | None, str | None]:
        """(the file's key now, its fingerprint when the record holds it for that key)."""
        key = self.key(f)
        if key is None:
            return None, None
        entry = self.entries.get(self._name(root, f))
        return key, (entry[2] if entry is not None and tuple(entry[:2]) == key else None)

    def add(self, root: Path, f: Path, key: Key | None, fingerprint: str) -> None:
        if key is not None:
            self.entries[self._name(root, f)] = [*key, fingerprint]

    @staticmethod
    def _name(root: Path, f: Path) -> str:
        return f.relative_to(root).as_posix()

    def save(self, path: Path) -> None:
        """Whole or not at all (OSError when it cannot be written). Not fsynced: a power cut
        costs only reading those photos again."""
        # ensure_ascii: a file name that is not UTF-8 survives as an escape
        data = json.dumps({"version": VERSION, "root": self.root, "photos": self.entries})
        write_bytes_atomic(path, (data + "\n").encode("ascii"), durable=False)
