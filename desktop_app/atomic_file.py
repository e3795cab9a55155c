"""Write a small file so that a crash or a full disk leaves either the old or the new version,
never a half-written one: write a temporary file beside it, fsync, then rename over it. A
symbolic link is written through (to the file it points to), as editors do, not replaced; the
file replaced keeps its permissions (mkstemp makes the new one 0600)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> None:
    """Raises OSError (disk full, read-only folder...) with the old file left as it was."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes | memoryview, durable: bool = True) -> None:
    """Raises OSError (disk full, read-only folder...) with the old file left as it was and no
    temporary file left behind. `durable=False` skips the fsync, for caches: a power cut may
    then lose the file (or leave it empty), which costs a cache only a miss."""
    if os.path.islink(path):  # a dotfiles manager's link: renamed over, it would be cut
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        # Python's own writes: a short write (a disk filling up) is retried and then raises,
        # where some writers (Pillow saving to a file) take it for success.
        with os.fdopen(fd, "wb") as f:
            _keep_mode(path, f.fileno())
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _keep_mode(path: Path, fd: int) -> None:
    """Give the temporary file the permissions of the file it replaces (a 0644 file, or one
    shared with a group, stays so). POSIX only: on Windows a read-only mode would keep the
    temporary file from being removed if the rename fails."""
    if os.name != "posix":
        return
    try:
        os.fchmod(fd, stat.S_IMODE(os.stat(path).st_mode))
    except OSError:  # a new file (mkstemp's 0600), or a file system without modes (FAT)
        pass
