"""What a user can do with a photo file: open it, show it in the file manager, copy its path,
move it to the system trash (never delete outright) and, where the platform allows, undo that."""

from __future__ import annotations

import errno
import glob
import logging
import os
import shlex
import shutil
import sys
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QMimeData,
    QProcess,
    QStringListModel,
    QUrl,
)
from PySide6.QtGui import QDesktopServices, QGuiApplication

from ..core.errors import printable
from ..core.records import same_content_stamps
from ..core.scan import change_time

log = logging.getLogger(__name__)


def is_utf8(path: str) -> bool:
    """False for a name whose bytes are not UTF-8 (surrogate escapes in Python): Qt strings
    cannot hold it, and drop those bytes."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def file_url(path: str) -> QUrl:
    """The file's URL, exact whatever bytes its name holds (QUrl.fromLocalFile goes through a
    Qt string, which loses the bytes of a name that is not UTF-8: another file's URL)."""
    if is_utf8(path) or sys.platform == "win32":
        return QUrl.fromLocalFile(path)
    return QUrl.fromEncoded(QByteArray(b"file://" + urllib.parse.quote(os.fsencode(path))
                                       .encode("ascii")))


def open_with_default_viewer(path: str) -> bool:
    return QDesktopServices.openUrl(file_url(path))


def no_viewer_reason() -> str:
    """Why a photo could not be opened with the default program, with what to do."""
    if sys.platform not in ("darwin", "win32") and not shutil.which("xdg-open"):
        return ("nothing here opens files with their default program (xdg-open, from the "
                "xdg-utils package, is not installed). Open it from your file manager, or "
                "install xdg-utils")
    return "no program is set up to open this kind of file"


def reveal_in_file_manager(path: str, failed: Callable[[], None]) -> bool:
    """Show the file selected in the platform's file manager (its folder, at least). False if
    nothing could be started; on Linux and BSD the file manager is asked over D-Bus and answers
    later: if it does not show the file (no desktop session, no file manager that offers it)
    the folder is opened instead, and `failed()` is called if that does not work either."""
    if sys.platform == "darwin":
        return QProcess.startDetached("open", ["-R", path])[0]
    if sys.platform == "win32":
        return QProcess.startDetached("explorer", ["/select,", os.path.normpath(path)])[0]
    folder = file_url(os.path.dirname(path))
    # --print-reply: dbus-send waits for the answer and fails when nobody shows the file.
    # Without it, it always succeeded, and with no file manager on the bus nothing happened.
    process = QProcess(QCoreApplication.instance())
    done = []
    uri = file_url(path).toString(QUrl.ComponentFormattingOption.FullyEncoded)
    uri = uri.replace(",", "%2C")  # dbus-send splits an array at commas: two URIs, else

    def finished(*_args) -> None:
        if done:  # FailedToStart then no finished, or finished alone: once either way
            return
        done.append(True)
        answered = (process.error() != QProcess.ProcessError.FailedToStart
                    and process.exitStatus() == QProcess.ExitStatus.NormalExit
                    and process.exitCode() == 0)
        if not answered:
            log.info("the file manager did not show %s (%s); opening its folder",
                     path, bytes(process.readAllStandardError()).decode(errors="replace").strip()
                     or process.errorString())
            if not QDesktopServices.openUrl(folder):
                failed()
        process.deleteLater()

    process.finished.connect(finished)
    process.errorOccurred.connect(
        lambda error: error == QProcess.ProcessError.FailedToStart and finished())
    process.start("dbus-send", [
        "--session", "--print-reply", "--reply-timeout=20000",
        "--dest=org.freedesktop.FileManager1", "--type=method_call",
        "/org/freedesktop/FileManager1", "org.freedesktop.FileManager1.ShowItems",
        f"array:string:{uri}", "string:"])
    return True


def copy_path(path: str) -> str:
    """Put the path on the clipboard; returns the text put there. A name that is not UTF-8
    cannot be clipboard text as it is, and one with a line break or another invisible
    character would be acted on (or hidden) by the terminal it is pasted in: such a path is
    copied quoted for a shell ($'...\\xe9...').
    Text only: a QMimeData set on the clipboard (to add the file's URL) crashes the app when it
    exits (a segmentation fault; seen with PySide6 6.7.0 and 6.11.3, the lowest and the newest
    release pyproject.toml allows, with the offscreen and minimal platform plugins;
    tests/ui/test_models.py)."""
    text = path if is_utf8(path) and not _has_unprintable(path) else shell_quoted(path)
    QGuiApplication.clipboard().setText(text)
    return text


# What a file manager of GNOME's lineage (Nautilus before GTK 4, Nemo, Caja) pastes files from;
# "copy" on its first line: a paste copies them, never moves them.
GNOME_FILES = "x-special/gnome-copied-files"


def files_mime(paths: list[str]) -> QMimeData:
    """The files as a drag or a copy gives them to a file manager, a mail or a chat: their
    URLs (text/uri-list, exact for a name that is not UTF-8), and their paths as text one a
    line, each as copy_path writes it, for a document or a terminal.
    Made by Qt, not by Python: one made in Python and left on the clipboard crashed the app
    at exit (copy_path); Qt's own, from a throwaway model, is a plain C++ object."""
    scratch = QStringListModel([""])
    mime = QStringListModel.mimeData(scratch, [scratch.index(0)])
    mime.clear()  # the scratch row's data
    urls = [file_url(path) for path in paths]
    mime.setUrls(urls)
    mime.setText("\n".join(path if is_utf8(path) and not _has_unprintable(path)
                           else shell_quoted(path) for path in paths))
    mime.setData(GNOME_FILES, QByteArray(b"\n".join([b"copy"] + [bytes(u.toEncoded())
                                                                   for u in urls])))
    return mime


def copy_files(paths: list[str]) -> None:
    """Put the files on the clipboard, to paste them in a file manager or a document."""
    QGuiApplication.clipboard().setMimeData(files_mime(paths))


def _unprintable(char: str) -> bool:
    """Control characters (C0, DEL, C1), format characters (a right-to-left override, a zero
    width space), line and paragraph separators, private and unassigned code points. Spaces
    of any width are printable here: they show as spaces and are harmless unquoted."""
    return not char.isprintable() and unicodedata.category(char) != "Zs"


def _has_unprintable(text: str) -> bool:
    return any(map(_unprintable, text))


def shell_quoted(path: str) -> str:
    """`path` as one POSIX shell word: as it is if nothing in it needs quoting, else $'...'
    (bash, zsh, ksh; POSIX 2024) with \\xNN for bytes that are not UTF-8 and for each byte
    of an unprintable character: \\xNN, unlike \\uNNNN, gives these bytes in any locale."""
    if is_utf8(path) and not _has_unprintable(path):
        return shlex.quote(path)
    out = []
    for char in path:
        if "\udc80" <= char <= "\udcff":  # a byte that is not UTF-8 (surrogate escape)
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif char in "\\'":
            out.append("\\" + char)
        elif _unprintable(char):
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8"))
        else:
            out.append(char)
    return "$'" + "".join(out) + "'"


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

    shown = printable(path)  # a name that is not UTF-8 with its odd bytes as \xNN
    try:
        send2trash(path)
    except TrashPermissionError as exc:
        raise OSError(f"{shown}: this disk has no trash Lookalike may use ({exc}); the file "
                      "was left where it is. Delete it yourself if you are sure") from exc
    except OSError as exc:
        if not os.path.lexists(path):  # not "left where it is": there is nothing left
            raise AlreadyGone(f"{shown}: already gone (deleted or moved outside "
                              "Lookalike)") from exc
        raise OSError(f"{shown}: could not be moved to the {trash_name()} "
                      f"({exc.strerror or exc}); the file was left where it is") from exc
    if not undo_supported():
        return Trashed(path, None, None)
    found = _find_in_freedesktop_trash(path)
    return Trashed(path, *(found or (None, None)))


def reason_to_keep(path: str, indexed: tuple | None, kept: Iterable[str] = ()) -> str | None:
    """Why a photo ticked as a copy must not go to the trash, or None. `indexed`: the (size,
    mtime, change time) it was indexed with, whose code put it in its group; `kept`: the photos
    of its group that stay. A file that changed since may hold another picture now; one that
    is a kept photo by another name (a link to it, or it a link to this one) would take that
    photo with it."""
    try:
        st = os.stat(path)
    except OSError:
        return None  # gone, or not readable: moving it to the trash says what is wrong
    if indexed is not None and not same_content_stamps(
            indexed, (st.st_size, st.st_mtime, change_time(st))):
        return (f"{printable(path)} changed since it was indexed (it may hold another "
                "picture now); find duplicates again once it is indexed")
    for other in kept:
        try:
            same = os.path.samestat(st, os.stat(other))
        except OSError:
            continue
        # Two hard links are two names of one file, each as real as the other: trashing one
        # leaves the picture under the other. Only a name that leads to the kept one's (a
        # symbolic link, either way) would take it along.
        if same and os.path.realpath(path) == os.path.realpath(other):
            return (f"{printable(path)} is the same file as {printable(other)}, which is kept "
                    "(one is a link to the other)")
    return None


def restore_from_trash(item: Trashed) -> None:
    """Put a trashed file back. Raises OSError saying why not."""
    if not undo_supported():
        raise OSError(UNDO_UNSUPPORTED.format(bin=trash_name()))
    # lexists: a trashed symbolic link may point nowhere from the trash folder.
    if not item.trashed_file or not os.path.lexists(item.trashed_file):
        raise OSError(f"{printable(item.original)}: the file is no longer in the trash (emptied or "
                      "restored already), so it cannot be put back")
    if item.info_file and not _still_records(item.info_file, item.original):
        # Restored by hand (the entry went with it), and the name in the trash taken since by
        # another file trashed from elsewhere: that file is not this photo.
        raise OSError(f"{printable(item.original)}: the trash no longer holds it under the "
                      "name it was moved there with (restored by hand, or the trash emptied); "
                      "look for it in the trash by hand")
    if os.path.lexists(item.original):  # a link whose target is gone is the user's too
        raise OSError(_name_taken(item.original))
    os.makedirs(os.path.dirname(item.original), exist_ok=True)
    _move_without_replacing(item.trashed_file, item.original)
    if item.info_file:
        try:
            os.unlink(item.info_file)
        except OSError:
            pass


def _name_taken(path: str) -> str:
    return (f"{printable(path)}: another file now has this name; restore it from the trash by "
            "hand")


def _move_without_replacing(source: str, target: str) -> None:
    """Move `source` to `target`, never over a file made there since it was checked: a hard
    link fails if the name is taken (os.replace would put the photo over it). From another
    device (send2trash copies a file to the home trash when the drive's own cannot take it), a
    copy to a name that must be new. Where hard links cannot be made (FAT drives), a plain
    move. The photo never ends under two names: if the trash's cannot be removed, the new one
    goes and OSError says why."""
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError as exc:
        raise OSError(_name_taken(target)) from exc
    except OSError as exc:
        if exc.errno == errno.EXDEV:  # os.replace cannot cross devices either
            _copy_to_new_name(source, target)
        elif exc.errno in (errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP,
                           errno.ENOSYS):
            os.replace(source, target)
            return
        else:
            raise
    try:
        os.unlink(source)
    except OSError as exc:
        os.unlink(target)  # made just now, by us
        raise OSError(f"{printable(target)}: could not be taken out of the trash "
                      f"({exc.strerror or exc}); it stays there") from exc


def _copy_to_new_name(source: str, target: str) -> None:
    """Copy `source` (a symbolic link as a link) to `target`, which must not exist: a file
    saved there meanwhile is never written over. A copy cut short is removed."""
    try:
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
            return
        with open(source, "rb") as src, open(target, "xb") as dst:
            try:
                shutil.copyfileobj(src, dst)
            except BaseException:
                dst.close()
                os.unlink(target)
                raise
        try:
            shutil.copystat(source, target)
        except OSError as exc:  # the picture is back; only its times or mode are not
            log.warning("%s: its times and mode could not be copied: %s", printable(target), exc)
    except FileExistsError as exc:
        raise OSError(_name_taken(target)) from exc


def _still_records(info_file: str, original: str) -> bool:
    """Does the trash entry `info_file` still record the file trashed from `original`?"""
    info = Path(info_file)
    trash = info.parent.parent
    topdir = next((top for folder, top in _trash_dirs(original) if folder == trash),
                  trash.parent)
    return _recorded_path(info, topdir) == os.path.abspath(original)


def _trash_dirs(path: str) -> list[tuple[Path, Path]]:
    """(trash folder, the folder its relative Path= entries start from: the one it is in)."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    dirs = [(data_home / "Trash", data_home)]
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
            if _recorded_path(info, topdir) == wanted:
                try:
                    mtime = info.stat().st_mtime
                except OSError:
                    continue
                if best is None or mtime > best[0]:
                    best = (mtime, str(trash / "files" / info.stem), str(info))
    return (best[1], best[2]) if best else None


def _recorded_path(info: Path, topdir: Path) -> str | None:
    """The absolute path a .trashinfo file records (None if it cannot be read)."""
    try:
        text = info.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Path="):
            # The name's bytes, escaped as in URLs: not always UTF-8.
            recorded = os.fsdecode(urllib.parse.unquote_to_bytes(line[5:]))
            if not os.path.isabs(recorded):
                # send2trash writes it relative to the name given, whose folders may be
                # links to the drive: "../../home/me/Pictures/usb/x.jpg".
                recorded = os.path.normpath(os.path.join(topdir, recorded))
            return recorded
    return None
