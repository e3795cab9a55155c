"""The user's settings: watched folders, options and window geometry, as JSON in config_dir().

Saved atomically (write a temporary file, then rename), so a crash mid-save never leaves a
half-written file. A missing or damaged file gives defaults and a logged warning, never a crash.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from . import paths
from .atomic_file import write_text_atomic

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
SETTINGS_VERSION = 1
# The numbers a hand-edited settings.json may hold (inclusive); others give the default.
NUMBER_RANGES = {"max_distance": (0, 4096), "max_distance_bits": (1, 4096),
                 "results_count": (1, 100_000), "duplicate_distance": (0, 4096),
                 "thumbnail_size": (16, 1024)}


def _in_range(value: object, low: int, high: int) -> bool:
    # bool is an int in Python: `true` in the file is no number.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@dataclass
class Settings:
    version: int = SETTINGS_VERSION
    watched_folders: list[str] = field(default_factory=list)
    polling_folders: list[str] = field(default_factory=list)  # network shares: poll, no inotify
    # Folders the user removed that the library may still hold (removal queued behind a long
    # job, or cut short by quitting): never taken back from the library's list, and removed
    # from the library again at the next start. Dropped once the library no longer has them.
    removed_folders: list[str] = field(default_factory=list)
    model_dir: str | None = None  # None: the default model shipped in resources/models/default
    # A model switch asked for and not finished (Lookalike closed while it re-encoded): it is
    # continued at the next start. "" when none.
    switching_to_model: str = ""
    max_distance: int = 16  # results slider (of 48 bits: about 67% similar or more)
    max_distance_bits: int = 48  # the code length max_distance was chosen for (it scales)
    results_count: int = 40
    duplicate_distance: int = 6  # duplicates view, of max_distance_bits (one bit in eight)
    thumbnail_size: int = 160
    first_run_done: bool = False
    window_geometry: str = ""  # QWidget.saveGeometry() as hex
    window_state: str = ""  # QMainWindow.saveState() as hex
    last_albums_dir: str = ""

    @staticmethod
    def path() -> Path:
        return paths.config_dir() / SETTINGS_FILE

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or cls.path()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("%s: cannot read the settings (%s); starting with defaults", path, exc)
            return cls()
        if not isinstance(raw, dict):
            log.warning("%s: the settings file is not a JSON object; starting with defaults", path)
            return cls()
        known = {f.name: f for f in fields(cls)}
        values = {}
        defaults = cls()
        for key, value in raw.items():
            # Unknown keys (from a newer version) are ignored; wrong types fall back to defaults.
            if key in known and isinstance(value, type(getattr(defaults, key))) or (
                    key == "model_dir" and (value is None or isinstance(value, str))):
                if isinstance(value, list):  # the folder lists: paths only
                    # Absolute ones: "" or a relative path would be taken from the current
                    # folder ("" watches all of it, recursively).
                    kept = [v for v in value if isinstance(v, str) and os.path.isabs(v)]
                    if len(kept) != len(value):
                        log.warning("%s: %s holds things that are not absolute paths; they "
                                    "are ignored", path, key)
                    value = kept
                if key in NUMBER_RANGES and not _in_range(value, *NUMBER_RANGES[key]):
                    # Qt's widgets raise OverflowError beyond 32 bits (the window would not
                    # open), 0 bits divides by zero, a count below 1 shows no results.
                    log.warning("%s: %s = %r is out of range; using the default %r", path,
                                key, value, getattr(defaults, key))
                    continue
                values[key] = value
        values["version"] = SETTINGS_VERSION
        return cls(**values)

    def save(self, path: Path | None = None) -> None:
        path = path or self.path()
        write_text_atomic(path, json.dumps(asdict(self), indent=2) + "\n")

    def add_folder(self, folder: str, polling: bool = False) -> None:
        folder = os.path.abspath(folder)
        if folder not in self.watched_folders:
            self.watched_folders.append(folder)
        self.removed_folders = [f for f in self.removed_folders if f != folder]
        if polling and folder not in self.polling_folders:
            self.polling_folders.append(folder)

    def remove_folder(self, folder: str) -> None:
        folder = os.path.abspath(folder)
        self.watched_folders = [f for f in self.watched_folders if f != folder]
        self.polling_folders = [f for f in self.polling_folders if f != folder]
        if folder not in self.removed_folders:
            self.removed_folders.append(folder)
