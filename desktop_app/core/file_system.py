"""Is a folder on a network file system? SQLite's WAL mode is not made for one: its -shm index
is shared memory that only processes on one computer can share, and many network file systems
lock files badly. The library asks this before it chooses its journal (store.py).

`network_file_system(folder)` names the network file system ("NFS", "SMB"...), or None for a
local disk and whenever it cannot tell (then nothing changes: the library uses WAL as before).
The probes ask the operating system, never the path's name: Linux statfs(2) f_type, macOS
statfs(2) MNT_LOCAL, Windows GetDriveTypeW.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

# Linux statfs f_type values (linux/magic.h and the file systems' own sources).
LINUX_NETWORK_TYPES = {
    0x6969: "NFS",
    0x517B: "SMB",
    0xFF534D42: "SMB (CIFS)",
    0xFE534D42: "SMB",
    # FUSE: sshfs, rclone, GNOME's gvfs shares, some sync clients; also ntfs-3g, a local disk
    # that only loses WAL's speed (WAL on sshfs or gvfs was the risk).
    0x65735546: "FUSE (sshfs, rclone, gvfs...)",
    0x01021997: "9P (WSL's Windows drives, VM shared folders)",
    0x786F4256: "VirtualBox shared folder",
    0x00C36400: "Ceph",
    0x5346414F: "AFS",
    0x6B414653: "AFS",
    0x73757245: "Coda",
    0x0BD00BD0: "Lustre",
    0x47504653: "GPFS",
    0x564C: "NCP (NetWare)",
}
MNT_LOCAL = 0x1000  # macOS statfs f_flags: "this file system is stored locally"
DRIVE_REMOTE = 4  # Windows GetDriveTypeW


def network_file_system(folder: Path) -> str | None:
    """The name of the network file system holding `folder` (which must exist), or None: local,
    or not known (a probe that fails must not stop the library from opening)."""
    try:
        return _probe(folder)
    except (OSError, AttributeError, ValueError):
        return None


def _probe(folder: Path) -> str | None:
    """This system's probe (tests replace it to play a network folder)."""
    if sys.platform.startswith("linux"):
        kind = _linux_statfs_type(folder)
        return LINUX_NETWORK_TYPES.get(kind) if kind is not None else None
    if sys.platform == "darwin":
        return _macos_remote_type(folder)
    if sys.platform == "win32":
        return "a network drive" if _windows_drive_type(folder) == DRIVE_REMOTE else None
    return None


def _libc() -> ctypes.CDLL:
    # The process's own symbols, libc's among them (find_library would run ldconfig).
    return ctypes.CDLL(None, use_errno=True)


def _linux_statfs_type(folder: Path) -> int | None:
    """statfs(2) f_type: the struct's first field, a machine word (__fsword_t)."""
    buffer = ctypes.create_string_buffer(512)  # struct statfs is 120 bytes on 64-bit Linux
    if _libc().statfs(os.fsencode(folder), buffer) != 0:
        return None
    return ctypes.c_ulong.from_buffer(buffer).value & 0xFFFFFFFF


class _MacStatfs(ctypes.Structure):  # struct statfs with 64-bit inodes (<sys/mount.h>)
    _fields_ = [("f_bsize", ctypes.c_uint32), ("f_iosize", ctypes.c_int32),
                ("f_blocks", ctypes.c_uint64), ("f_bfree", ctypes.c_uint64),
                ("f_bavail", ctypes.c_uint64), ("f_files", ctypes.c_uint64),
                ("f_ffree", ctypes.c_uint64), ("f_fsid", ctypes.c_int32 * 2),
                ("f_owner", ctypes.c_uint32), ("f_type", ctypes.c_uint32),
                ("f_flags", ctypes.c_uint32), ("f_fssubtype", ctypes.c_uint32),
                ("f_fstypename", ctypes.c_char * 16), ("f_mntonname", ctypes.c_char * 1024),
                ("f_mntfromname", ctypes.c_char * 1024), ("f_flags_ext", ctypes.c_uint32),
                ("f_reserved", ctypes.c_uint32 * 7)]


def _macos_remote_type(folder: Path) -> str | None:
    libc = _libc()
    # Intel Macs name the 64-bit-inode struct's call statfs$INODE64; Apple silicon has only it.
    call = getattr(libc, "statfs$INODE64", None) or libc.statfs
    info = _MacStatfs()
    if call(os.fsencode(folder), ctypes.byref(info)) != 0 or info.f_flags & MNT_LOCAL:
        return None
    return info.f_fstypename.decode("ascii", "replace") or "a network file system"


def _windows_drive_type(folder: Path) -> int:
    """GetDriveTypeW of the drive or share root (Z:\\ or \\\\server\\share\\)."""
    drive, _ = os.path.splitdrive(os.path.abspath(folder))
    return ctypes.windll.kernel32.GetDriveTypeW(drive.rstrip("\\/") + "\\")
