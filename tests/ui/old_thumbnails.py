"""Thumbnails as a version before colour management cached them on disk."""

from __future__ import annotations

import hashlib
import os

from colour_patches import patches
from PIL import Image

from desktop_app.core.scan import change_time
from desktop_app.ui.thumbnails import disk_key


def cached_before_colours(path, root) -> Image.Image:
    """The 64 px thumbnail a version before colour management cached for `path`, where it
    kept it (its disk key had no format), as stored; checks the key is another now."""
    st = os.stat(path)
    stamp = f"{st.st_mtime!r}\0{st.st_size}\0{change_time(st)}"
    old_key = hashlib.blake2b(f"{path}\0{stamp}\0{64}".encode(), digest_size=16).hexdigest()
    old = root / old_key[:2] / f"{old_key}.jpg"
    old.parent.mkdir(parents=True)
    stale = patches()
    stale.thumbnail((64, 64))
    stale.save(old, quality=95)
    assert disk_key(str(path), st, 64) != old_key
    return stale
