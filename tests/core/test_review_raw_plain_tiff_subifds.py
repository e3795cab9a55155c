"""A raw (a TIFF of a camera's, no DNG version: as a NEF) whose SubIFDs entry is damaged, so
that its sensor data's picture cannot be found, stays refused: LibRaw refuses it, and it was
taken for a plain TIFF, its 1024-pixel preview shown and indexed as the photo, the SubIFDs it
could not follow left out of the walk (core/camera_raw.py is_plain_tiff)."""

from __future__ import annotations

from pathlib import Path

import pytest
from photos import make_camera_raw

from desktop_app.core import camera_raw, images, keeper
from desktop_app.core.errors import PhotoReadError

_SUB_IFDS, _DNG_VERSION = 330, 50706


def ifd0_entry(data: bytearray, tag: int) -> int:
    """Where the entry of `tag` in a little-endian TIFF's IFD0 starts."""
    at = int.from_bytes(data[4:8], "little")
    count = int.from_bytes(data[at:at + 2], "little")
    return next(entry for entry in range(at + 2, at + 2 + 12 * count, 12)
                if int.from_bytes(data[entry:entry + 2], "little") == tag)


def raw_without_dng_version(path: Path) -> bytearray:
    """A make_camera_raw file whose DNGVersion is renumbered as the unused tag next to it
    (the IFD stays sorted): a raw of the TIFF kind a camera writes, its sensor data a CFA
    picture in a SubIFD."""
    data = bytearray(make_camera_raw(path, "chelsea", preview_side=1024).read_bytes())
    entry = ifd0_entry(data, _DNG_VERSION)
    data[entry:entry + 2] = (_DNG_VERSION - 1).to_bytes(2, "little")
    return data


# Where in the SubIFDs entry, its size and the value written there: its type (2 bytes in) or
# its count of SubIFDs (4 bytes in).
@pytest.mark.parametrize(("at", "size", "value"), [(2, 2, 3), (2, 2, 16), (4, 4, 65)],
                         ids=["type SHORT", "type LONG8", "65 SubIFDs"])
def test_a_raw_whose_subifds_cannot_be_followed_is_no_plain_tiff(tmp_path, at, size, value):
    path = tmp_path / "DSC_0001.NEF"
    data = raw_without_dng_version(path)
    assert not camera_raw.is_plain_tiff(bytes(data), path)  # its SubIFD: sensor data
    entry = ifd0_entry(data, _SUB_IFDS)
    data[entry + at:entry + at + size] = value.to_bytes(size, "little")
    path.write_bytes(data)
    assert not camera_raw.is_plain_tiff(bytes(data), path)
    for read in (lambda: images.load_photo(path),
                 lambda: images.load_picture(path, (160, 160), 160)):
        with pytest.raises(PhotoReadError, match="cannot read this camera raw file"):
            read()
    assert keeper.read_header(str(path)) == keeper.Header()  # unknown, not the preview's
