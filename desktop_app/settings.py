"""The user's settings: watched folders, options and window geometry, as JSON in config_dir().

Saved atomically (write a temporary file, then rename), so a crash mid-save never leaves a
half-written file. A missing or damaged file gives defaults and a logged warning, never a crash.
Nothing the user had is lost by saving: keys written by a newer Lookalike are written back, a
damaged file is copied aside first, and one that cannot be read at all is never saved over.
A settings.json the user made read-only is never written: it holds their settings, locked.
One edited by hand (or restored, or synced) while the app runs is merged at the next save, not
saved over: what the app did not change since it loaded or saved keeps the file's new value.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from . import paths
from .atomic_file import write_text_atomic

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
SETTINGS_VERSION = 1
# The numbers a hand-edited settings.json may hold (inclusive); others give the default.
NUMBER_RANGES = {"max_distance": (0, 4096), "max_distance_bits": (1, 4096),
                 "results_count": (1, 100_000), "duplicate_distance": (0, 4096),
                 "thumbnail_size": (16, 1024)}
# The distances are of max_distance_bits, so merged as one (see Settings._merged): one side's
# bits with the other's distance would be scaled wrongly at the next start.
DISTANCE_KEYS = ("max_distance", "max_distance_bits", "duplicate_distance")


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
    # The library's active model (its id) when that switch was asked, a space and the folder of
    # switching_to_model then: the switch is continued only if it is still active then (not if
    # another was made active since, by the command line). "" when unknown (asked by an older
    # version, which keeps this key as it was, written for another switch): continued.
    switching_from_model: str = ""
    max_distance: int = 16  # results slider (of 48 bits: about 67% similar or more)
    max_distance_bits: int = 48  # the code length max_distance was chosen for (it scales)
    results_count: int = 40
    duplicate_distance: int = 6  # duplicates view, of max_distance_bits (one bit in eight)
    thumbnail_size: int = 160
    first_run_done: bool = False
    window_geometry: str = ""  # QWidget.saveGeometry() as hex
    window_state: str = ""  # QMainWindow.saveState() as hex
    last_albums_dir: str = ""
    # Unfinished training runs whose start-up notice the user dismissed: {output folder: its
    # checkpoints' state then} (ui.unfinished_runs.run_state); said again once that changes.
    dismissed_training: dict[str, str] = field(default_factory=dict)
    # Set by load() when settings.json was damaged (a plain attribute, not a field: not saved).
    load_problem = ""
    # Set by load(), not fields either (ClassVar): keys it does not know (a newer version's),
    # saved back as they were; and the file it could not read at all, never saved over.
    unknown_keys: ClassVar[Mapping[str, object]] = MappingProxyType({})
    unreadable: ClassVar[Path | None] = None
    # Not a field: set once "settings.json is read-only" has been said (by load or save).
    read_only_said = False
    # Not a field: the values as last loaded or saved (asdict), to tell the app's changes from
    # those made to the file meanwhile (see save). None: not loaded (nothing to merge with).
    synced: ClassVar[dict | None] = None
    # The file's text then (its bytes if not UTF-8): unchanged, nothing new to say.
    synced_text: ClassVar[str | bytes | None] = None

    @staticmethod
    def path() -> Path:
        return paths.config_dir() / SETTINGS_FILE

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or cls.path()
        settings = cls._load(path)
        settings.synced = asdict(settings)  # copied deeply: later changes do not reach it
        settings.synced_text = _text(path)
        return settings

    @classmethod
    def _load(cls, path: Path) -> Settings:
        try:
            # -sig: a BOM (Notepad's "UTF-8 with BOM", PowerShell 5) made a hand-edited file
            # "damaged", and the next save replaced it with the defaults.
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return cls()
        except OSError as exc:  # there, but not readable: the user's file, not damaged
            return cls._unreadable(path, exc)
        except ValueError:
            return cls._read_only_said(path, cls._damaged(path, "it is not UTF-8 text"))
        return cls._read_only_said(path, cls._parse(path, text))

    @classmethod
    def _parse(cls, path: Path, text: str) -> Settings:
        try:
            raw = json.loads(text)
        except ValueError as exc:
            return cls._damaged(path, f"it is not valid JSON ({exc})" if text.strip()
                                else "it is empty")
        if not isinstance(raw, dict):
            return cls._damaged(path, "it is not a JSON object")
        values, unusable = _usable(raw)
        settings = cls(**values)
        settings.unknown_keys = _unknown(raw)
        if unusable:
            # The next save writes the defaults for these: the user's values (a hand edit)
            # are kept in a copy and said, not dropped without a word.
            settings.load_problem = (
                f"{path}: {', '.join(unusable)} could not be used, so Lookalike uses the "
                f"default for {'it' if len(unusable) == 1 else 'them'}; {_keep_copy(path)}.")
            log.warning("%s", settings.load_problem)
        return settings

    @staticmethod
    def _read_only_said(path: Path, settings: Settings) -> Settings:
        """A file the user made read-only is used as it is and never saved over: said once, in
        the notice the window shows at start (after any other problem with the file)."""
        if _read_only(path):
            settings.read_only_said = True
            note = read_only_message(path)
            settings.load_problem = f"{settings.load_problem} {note}".strip()
            log.warning("%s", note)
        return settings

    @classmethod
    def _unreadable(cls, path: Path, exc: OSError) -> Settings:
        """Defaults for this session, and the file left alone: saving over it would lose the
        user's folders and options for want of a permission or a disk that answers."""
        settings = cls()
        settings.unreadable = path
        settings.load_problem = (
            f"{path}: your settings cannot be read ({exc.strerror or exc}), so Lookalike "
            f"started with the defaults and will not save over that file. {_remedy(path, exc)}, "
            "then restart Lookalike; until then, changes apply only until it is closed.")
        log.warning("%s", settings.load_problem)
        return settings

    @classmethod
    def _damaged(cls, path: Path, cause: str) -> Settings:
        """Defaults, with a copy of the damaged file kept: the next save replaces it, and the
        options in it (polled folders, window layout...) may be worth putting back by hand."""
        kept = _keep_copy(path)
        settings = cls()
        # Not a field: never saved. The window says it once (MainWindow._on_opened).
        settings.load_problem = (
            f"{path}: your settings could not be read ({cause}), so Lookalike started with the "
            f"defaults; {kept}. Your watched folders come back from the library; set other "
            "options again (or copy them back from the kept file).")
        log.warning("%s", settings.load_problem)
        return settings

    def save(self, path: Path | None = None) -> None:
        path = path or self.path()
        if self.unreadable is not None and path == self.unreadable:
            log.debug("settings not saved: %s could not be read at start", path)
            return
        if _read_only(path):  # also when made read-only while the app runs
            if not self.read_only_said:
                self.read_only_said = True
                log.warning("%s", read_only_message(path))
            log.debug("settings not saved: %s is read-only", path)
            return
        data, unknown = self._merged(path, asdict(self))
        data.update((k, v) for k, v in unknown.items() if k not in data)
        text = json.dumps(data, indent=2) + "\n"
        write_text_atomic(path, text)
        self.synced, self.synced_text = asdict(self), text

    def _merged(self, path: Path, mine: dict) -> tuple[dict, Mapping[str, object]]:
        """What to write: the app's values, except those it did not change since it last loaded
        or saved, whose value in the file now is kept (edited by hand, restored from a backup,
        synced from another computer while the app ran: used from the next start); a folder
        list both changed gets the folders the file gained or lost as well. And the unknown
        keys the file has now. A file that cannot be used now is copied aside first."""
        base = self.synced
        text = _text(path)
        if base is None or text is None:  # not loaded from a file, or deleted (written anew)
            return mine, self.unknown_keys
        # Unchanged since the last load or save: merged again (an edit kept by an earlier save
        # must stay), but what was said then is not said again.
        quiet = text == self.synced_text
        if isinstance(text, bytes):  # saved in another encoding (Notepad's ANSI, Latin-1)
            raw, cause = None, "it is not UTF-8 text"
        else:
            try:
                raw = json.loads(text)
            except ValueError as exc:
                raw = None
                cause = str(exc)
            else:
                cause = "it is not a JSON object"
        if not isinstance(raw, dict):
            if not quiet:  # (damaged at load: said then, and copied aside)
                log.warning("%s was changed while Lookalike ran and cannot be read now (%s), "
                            "so it is saved anew; %s.", path, cause, _keep_copy(path))
            return mine, self.unknown_keys
        theirs, unusable = _usable(raw)
        if unusable and not quiet:
            log.warning("%s was changed while Lookalike ran: %s could not be used, so it is "
                        "saved with Lookalike's values for them; %s.", path,
                        ", ".join(unusable), _keep_copy(path))
        bits = theirs.get("max_distance_bits", mine["max_distance_bits"])
        if bits != mine["max_distance_bits"] and (
                any(mine[k] != base[k] for k in DISTANCE_KEYS)
                or not all(k in theirs for k in DISTANCE_KEYS)):
            # Of another code length in the file (a backup from another model's time), and the
            # app moved a slider or switched model: all three the app's, never 20 of its 96
            # bits written as 20 of the file's 48 (doubled at the next start).
            theirs = {k: v for k, v in theirs.items() if k not in DISTANCE_KEYS}
        merged = dict(mine)
        kept = []
        for key, value in theirs.items():
            if value == base.get(key, value) or value == mine[key]:
                continue  # not changed in the file, or changed to the app's value
            if mine[key] == base[key]:  # only the file changed it
                merged[key] = value
            elif isinstance(value, list):  # both: the app's list, with the file's changes
                merged[key] = _merged_list(base[key], mine[key], value)
            else:  # both changed it: the app's (newer) value wins
                continue
            kept.append(key)
        if kept and not quiet:
            log.warning("%s was changed while Lookalike ran: its %s kept (used from the next "
                        "start)", path, ", ".join(kept))
        return merged, _unknown(raw)

    def add_folder(self, folder: str, polling: bool = False) -> None:
        folder = os.path.abspath(folder)
        if folder not in self.watched_folders:
            self.watched_folders.append(folder)
        # Also a removal by another name (a symbolic link to it): finished at the next start,
        # it would forget the folder just added, and its photos be encoded all over again.
        real = os.path.realpath(folder)
        self.removed_folders = [f for f in self.removed_folders if os.path.realpath(f) != real]
        if polling and folder not in self.polling_folders:
            self.polling_folders.append(folder)

    def remove_folder(self, folder: str) -> None:
        folder = os.path.abspath(folder)
        self.drop_folder(folder)
        if folder not in self.removed_folders:
            self.removed_folders.append(folder)

    def drop_folder(self, folder: str) -> None:
        """Take `folder` out of the list that the library has forgotten already (`lookalike
        forget`): not in removed_folders, whose removals the next start runs again, so that a
        `lookalike index` of it later is taken in as any folder the command line indexed."""
        self.watched_folders = [f for f in self.watched_folders if f != folder]
        self.polling_folders = [f for f in self.polling_folders if f != folder]


def _text(path: Path) -> str | bytes | None:
    """The settings file's text now, its bytes if it is not UTF-8 (a hand edit saved in another
    encoding: copied aside before it is saved over, as at load); None if it is not there or
    cannot be read."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return data.decode("utf-8-sig")
    except ValueError:
        return data


def _usable(raw: dict) -> tuple[dict, list[str]]:
    """The known keys of a settings.json object whose values can be used, and a description of
    each that cannot (of the wrong kind, out of range)."""
    known = {f.name: f for f in fields(Settings)}
    values = {}
    defaults = Settings()
    unusable: list[str] = []  # keys (partly) left at their defaults: said, file kept
    for key, value in raw.items():
        if key not in known:
            continue  # a newer version's: kept in unknown_keys, saved back
        if not (isinstance(value, type(getattr(defaults, key))) or (
                key == "model_dir" and (value is None or isinstance(value, str)))):
            unusable.append(f"{key} (not a {_kind(getattr(defaults, key))})")
            continue
        if isinstance(value, list):  # the folder lists: paths only
            # Absolute ones: "" or a relative path would be taken from the current
            # folder ("" watches all of it, recursively).
            kept = [v for v in value if isinstance(v, str) and os.path.isabs(v)]
            if len(kept) != len(value):
                unusable.append(f"{key} (entries that are not absolute paths)")
            value = kept
        if key in NUMBER_RANGES and not _in_range(value, *NUMBER_RANGES[key]):
            # Qt's widgets raise OverflowError beyond 32 bits (the window would not
            # open), 0 bits divides by zero, a count below 1 shows no results.
            unusable.append(f"{key} (out of range)")
            continue
        values[key] = value
    version = raw.get("version")
    newer = (isinstance(version, int) and not isinstance(version, bool)
             and version > SETTINGS_VERSION)
    values["version"] = version if newer else SETTINGS_VERSION
    return values, unusable


def _unknown(raw: dict) -> dict[str, object]:
    known = {f.name for f in fields(Settings)}
    return {k: v for k, v in raw.items() if k not in known}


def _merged_list(base: list, mine: list, theirs: list) -> list:
    """The app's list (`mine`) less what the file dropped since `base`, plus what it added."""
    dropped = set(base) - set(theirs)
    return ([v for v in mine if v not in dropped]
            + [v for v in theirs if v not in base and v not in mine])


def _read_only(path: Path) -> bool:
    """The user took the write permission away (chmod a-w; Windows' Read-only attribute). The
    owner's write bit, not os.access: root may write anything, and the atomic save renames over
    the file whatever its mode, so only the bit says what the user meant."""
    try:
        mode = os.stat(path).st_mode  # through a symbolic link: its file
    except OSError:  # not there (yet): nothing locked
        return False
    return stat.S_ISREG(mode) and not mode & stat.S_IWUSR


def read_only_message(path: Path) -> str:
    how = (f"chmod u+w {path}" if os.name == "posix"
           else "untick Read-only in its Properties")
    # Not "folders added": the library keeps an added folder, and the next start takes it
    # back from there. A removed one is still in the file: watched and indexed again.
    return (f"{path} is read-only, so Lookalike does not save changes to your settings: "
            "options changed apply only until it is closed, and a folder removed comes back "
            f"(indexed again) at the next start. To have them saved, make the file writable "
            f"({how}).")


def _keep_copy(path: Path) -> str:
    """Copy the settings file aside (the next save replaces it); says where, for a message."""
    try:
        copy = _free_copy_name(path)
        shutil.copyfile(path, copy)
        return f"the file as it was is kept as {copy}"
    except OSError as exc:
        return f"the file as it was could not be kept ({exc.strerror or exc})"


def _free_copy_name(path: Path) -> Path:
    """settings.json.damaged, else .damaged-2, -3...: a copy kept before (the user may not
    have put its options back yet) is never written over; the same contents are kept once."""
    data = path.read_bytes()
    for n in range(1, 1000):
        copy = path.with_name(path.name + (".damaged" if n == 1 else f".damaged-{n}"))
        if not copy.exists():
            return copy
        if copy.read_bytes() == data:
            return copy
    raise OSError(f"{path.parent} already holds 999 kept copies")


def _kind(default: object) -> str:
    return {bool: "true or false", int: "whole number", str: "text",
            list: "list of folders", dict: "JSON object of folders"}.get(
                type(default), type(default).__name__)


def _remedy(path: Path, exc: OSError) -> str:
    """What to do about a settings file that exists but cannot be read."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "Make it readable to you (another user owns it, or its permissions keep you out)"
    if exc.errno == errno.EISDIR:
        return "A folder is in its place: move that folder aside"
    blocker = paths.file_in_the_way(path)
    if blocker is not None:
        return f"{blocker} is a file, where Lookalike keeps a folder: move that file aside"
    return "Check the disk it is on (the system log may say more)"
