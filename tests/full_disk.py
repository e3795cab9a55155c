"""Running a command with LOOKALIKE_HOME on a disk with no free space left, for real: in a private
mount namespace (unshare), a small tmpfs is mounted over the home folder, the home's files are
copied onto it, and a filler file takes every free block. The namespace, the tmpfs and the
filler go when the command ends; the real home folder is never written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

FILL_UP = ('home="$0"; stash="$(mktemp -d)" && cp -a "$home/." "$stash" && '
           'mount -t tmpfs -o size=16m tmpfs "$home" && cp -a "$stash/." "$home" && '
           'rm -rf "$stash" && { dd if=/dev/zero of="$home/filler" bs=4096 2>/dev/null; '
           'exec "$@"; }')
NO_SPACE_LEFT = "import os, sys; sys.exit(os.statvfs(sys.argv[1]).f_bavail != 0)"


def full_disk_prefix(home) -> list[str]:
    """The command prefix that runs a command with `home` on a full disk. Skips the test where
    a mount namespace cannot be made (no unshare(1), user namespaces not allowed)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs unshare(1)")
    own = [unshare, "--mount"] if os.geteuid() == 0 else [unshare, "--map-root-user", "--mount"]
    prefix = [*own, "sh", "-c", FILL_UP, str(home)]
    probe = subprocess.run([*prefix, sys.executable, "-c", NO_SPACE_LEFT, str(home)],
                           capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a full tmpfs over {home} here: "
                    f"{probe.stderr.decode(errors='replace').strip()}")
    return prefix
