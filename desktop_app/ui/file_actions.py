"""What a user can do with a photo file: open it, show it in the file manager, copy its path,
move it to the system trash (never delete outright) and, where the platform allows, undo that."""

from __future__ import annotations

import glob
import logging
import os
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QProcess, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication

log = logging.getLogger(__name__)


def open_with_default_viewer(path: str) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def reveal_in_file_manager(path: str) -> bool:
    """Show the file selected in the platform's file manager (its folder, at least)."""
    if sys.platform == "darwin":
        return QProcess.startDetached("open", ["-R", path])[0]
    if sys.platform == "win32":
        return QProcess.startDetached("explorer", ["/select,", os.path.normpath(path)])[0]
    uri = QUrl.fromLocalFile(path).toString()
    ok = QProcess.startDetached("dbus-send", [
        "--session", "--dest=org.freedesktop.FileManager1", "--type=method_call",
        "/org/freedesktop/FileManager1", "org.freedesktop.FileManager1.ShowItems",
        f"array:string:{uri}", "string:"])[0]
    return ok or QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))


def copy_path(path: str) -> None:
    QGuiApplication.clipboard().setText(path)


# -- trash -------------------------------------------------------------------------------------
UNDO_UNSUPPORTED = ("Undo is not possible on this platform: restore the file from the "
                    "system {bin} yourself.")


class AlreadyGone(OSError):
    """The file to trash is not there any more: deleted or moved by another program."""


@dataclass(frozen=True)
class Trashed:
    original: str
    trashed_file: str | None  # where it went (freedesktop trash), if known
    info_file: str | None


def undo_supported() -> bool:
    """Only the freedesktop.org trash (Linux, BSD) can be restored by us: its layout is open."""
    return sys.platform not in ("darwin", "win32")


def trash_name() -> str:
    return {"darwin": "Trash", "win32": "Recycle Bin"}.get(sys.platform, "trash")


def move_to_trash(path: str) -> Trashed:
    """Move one file to the system trash. Raises OSError with a readable message
    (AlreadyGone if the file is not there)."""
    from send2trash import send2trash
    from send2trash.exceptions import TrashPermissionError

    try:
        send2trash(path)
    except TrashPermissionError as exc:
        raise OSError(f"{path}: this disk has no trash Lookalike may use ({exc}); the file "
                      "was left where it is. Delete it yourself if you are sure") from exc
    except OSError as exc:
        if not os.path.lexists(path):  # not "left where it is": there is nothing left
            raise AlreadyGone(f"{path}: already gone (deleted or moved outside "
                              "Lookalike)") from exc
        raise OSError(f"{path}: could not be moved to the {trash_name()} "
                      f"({exc.strerror or exc}); the file was left where it is") from exc
    if not undo_supported():
        return Trashed(path, None, None)
    found = _find_in_freedesktop_trash(path)
    return Trashed(path, *(found or (None, None)))


def restore_from_trash(item: Trashed) -> None:
    """Put a trashed file back. Raises OSError saying why not."""
    if not undo_supported():
        raise OSError(UNDO_UNSUPPORTED.format(bin=trash_name()))
    if not item.trashed_file or not os.path.exists(item.trashed_file):
        raise OSError(f"{item.original}: the file is no longer in the trash (emptied or "
                      "restored already), so it cannot be put back")
    if os.path.exists(item.original):
        raise OSError(f"{item.original}: another file now has this name; restore it from "
                      "the trash by hand")
    os.makedirs(os.path.dirname(item.original), exist_ok=True)
    os.replace(item.trashed_file, item.original)
    if item.info_file:
        try:
            os.unlink(item.info_file)
        except OSError:
            pass


def _trash_dirs(path: str) -> list[tuple[Path, Path]]:
    """(trash folder, the folder its relative Path= entries start from)."""
    home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "Trash"
    dirs = [(home, Path("/"))]
    # Files on other disks go to $topdir/.Trash/$uid or $topdir/.Trash-$uid.
    mount = Path(path).resolve().parent
    while not os.path.ismount(mount) and mount != mount.parent:
        mount = mount.parent
    uid = os.getuid() if hasattr(os, "getuid") else 0
    dirs += [(mount / ".Trash" / str(uid), mount), (mount / f".Trash-{uid}", mount)]
    return dirs


def _find_in_freedesktop_trash(path: str) -> tuple[str, str] | None:
    """The newest .trashinfo recording `path`, and the trashed file it describes."""
    wanted = os.path.abspath(path)
    # Only entries named like the file: "dup.jpg", "dup 2.jpg" (send2trash), "dup.2.jpg"
    # (GLib). Reading every entry made trashing n photos into a full trash take seconds to
    # minutes on the GUI thread.
    named_like = glob.escape(os.path.basename(wanted).partition(".")[0]) + "*.trashinfo"
    best: tuple[float, str, str] | None = None
    for trash, topdir in _trash_dirs(path):
        info_dir = trash / "info"
        if not info_dir.is_dir():
            continue
        for info in info_dir.glob(named_like):
            try:
                text = info.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for line in text.splitlines():
                if line.startswith("Path="):
                    recorded = urllib.parse.unquote(line[5:])
                    if not os.path.isabs(recorded):
                        recorded = str(topdir / recorded)
                    if recorded == wanted:
                        mtime = info.stat().st_mtime
                        if best is None or mtime > best[0]:
                            best = (mtime, str(trash / "files" / info.stem), str(info))
    return (best[1], best[2]) if best else None
