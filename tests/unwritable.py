"""Running a command with a folder it may not write, also as root (whose override rights
would write anyway): a read-only bind mount, or 0444/0555 modes with those rights dropped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

READ_ONLY_MOUNT = 'mount --bind -o ro "$0" "$0" && exec "$@"'


def unwritable_prefix(how: str, folder) -> list[str]:
    """The command prefix that runs a command with `folder` not writable: `how` is "read-only
    mount" or "no write permission" (the caller has made the files 0444 / 0555). Skips the test
    where neither can be arranged."""
    if how == "read-only mount":
        unshare = shutil.which("unshare")
        if unshare is None:
            pytest.skip("needs unshare(1)")
        own = [unshare, "--mount"] if os.geteuid() == 0 else [unshare, "--map-root-user",
                                                               "--mount"]
        prefix = [*own, "sh", "-c", READ_ONLY_MOUNT, str(folder)]
    else:  # the files are 0444 / 0555; root also needs its override rights dropped
        prefix = []
        if os.geteuid() == 0:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("needs setpriv(1) to drop root's rights")
            prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    not_writable = f"import os, sys; sys.exit(os.access({str(folder)!r}, os.W_OK))"  # exit 0
    probe = subprocess.run([*prefix, sys.executable, "-c", not_writable],
                           capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make {folder} read-only here ({how}): "
                    f"{probe.stderr.decode(errors='replace').strip()}")
    return prefix
