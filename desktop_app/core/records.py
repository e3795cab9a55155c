"""Plain records the library hands out: folders, photos, search matches, index reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Progress = Callable[[int, int], None]  # (done, total)
ShouldStop = Callable[[], bool]

STATUS_OK = "ok"
STATUS_FAILED = "failed"


@dataclass(frozen=True)
class Folder:
    id: int
    path: str
    added_at: float


@dataclass(frozen=True)
class Photo:
    id: int
    path: str
    folder_id: int
    size: int
    mtime: float
    width: int | None
    height: int | None
    status: str  # "ok" | "failed"
    error: str | None  # the one-sentence message for failed photos
    ctime_ns: int | None = None  # the inode change time when indexed (None: not known)

    @property
    def stamp(self) -> tuple[int, float, int | None]:
        """What the index tells one content of the file from another by (size, mtime, change
        time): a record whose stamp changed may show another picture at its path."""
        return self.size, self.mtime, self.ctime_ns


def same_content_stamps(old: tuple, new: tuple) -> bool:
    """Do two (size, mtime, change time) stamps of one path tell of the same content? Size and
    mtime equal, and the change times too where both are known: a record without one (indexed
    before change times were kept) is given the current one unread, the library trusting size
    and mtime then, so its first change time is no sign of another picture."""
    return old[:2] == new[:2] and (None in (old[2], new[2]) or old[2] == new[2])


@dataclass(frozen=True)
class Match:
    photo_id: int
    path: str
    distance: int
    bits: int
    # The other files of its picture beside it, left out of the list it is in (a camera's
    # RAW+JPEG pair, core/raw_twins.py): a result's raw file, a duplicate group's raw's JPEG.
    twins: tuple[str, ...] = ()

    @property
    def similarity(self) -> float:
        return 1.0 - self.distance / self.bits


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    moved: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    stopped: bool = False  # should_stop ended the run early; calling again resumes

    @property
    def encoded(self) -> int:
        return self.added + self.updated

    def merge(self, other: IndexReport) -> IndexReport:
        for name in ("added", "updated", "moved", "removed", "unchanged", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)
        self.stopped = self.stopped or other.stopped
        return self

    def summary(self, stopped_note: str = "stopped early; run again to continue",
                brief: bool = False) -> str:
        """The counts; `stopped_note` in brackets if the run stopped early (the app's says how
        to go on there). `brief` (the window's status bar): only the counts that are not 0, with
        thousands separators ("12,345 added, 2 failed"), "nothing changed" when all are 0, but
        "no photo checked yet" for a run stopped before any was (a pause during the walk: the
        folder's photos were not looked at); the command line lists all six."""
        counts = [(self.added, "added"), (self.updated, "updated"), (self.moved, "moved"),
                  (self.removed, "removed"), (self.unchanged, "unchanged"),
                  (self.failed, "failed")]
        if brief:
            parts = [f"{n:,} {word}" for n, word in counts if n] or [
                "no photo checked yet" if self.stopped else "nothing changed"]
        else:
            parts = [f"{n} {word}" for n, word in counts]
        return ", ".join(parts) + (f" ({stopped_note})" if self.stopped else "")
