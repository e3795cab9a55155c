"""The photo kept of a duplicate group holding a camera raw file: the raw, the camera's original
(its JPEG, as any export, is a rendering of it). Pillow read a raw's first picture, the camera's
embedded preview or thumbnail: a camera's RAW+JPEG pair lost the raw to its JPEG ("most
pixels"), the one piece of advice that cannot be undone once the trash is emptied. The raws
here are real DNGs (tests/photos.make_camera_raw) that LibRaw reads as it reads a camera's."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from keeper_order import kept
from photos import exif_bytes, make_camera_raw, sample_image
from PIL import Image

from desktop_app.core import keeper
from desktop_app.core.hashing import HammingIndex
from desktop_app.core.images import fingerprint
from desktop_app.core.keeper import keeper_first, look
from desktop_app.core.records import Match
from desktop_app.core.scan import change_time

RAW_SIZE = (450, 300)  # the sensor data make_camera_raw writes of "chelsea" (even sides)


def camera_jpeg(path: Path, side: int = 2400, quality: int = 95, exif: bool = True) -> str:
    """The JPEG of the photo, as a camera (with its EXIF) or a converter writes it."""
    image = sample_image("chelsea")
    image = image.resize((side, round(side * image.height / image.width)),
                         Image.Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=quality, **({"exif": exif_bytes()} if exif else {}))
    return str(path)


def pixels(path: str) -> int:
    with Image.open(path) as image:
        return image.width * image.height


@pytest.mark.parametrize("suffix", [".CR2", ".NEF", ".ARW", ".dng"])
def test_a_raw_plus_jpeg_pair_keeps_the_raw_though_the_jpeg_is_bigger(tmp_path, suffix):
    raw = str(make_camera_raw(tmp_path / f"IMG_0001{suffix}"))
    jpeg = camera_jpeg(tmp_path / "IMG_0001.JPG")
    assert os.path.getsize(jpeg) > os.path.getsize(raw)
    assert pixels(jpeg) > RAW_SIZE[0] * RAW_SIZE[1]
    assert kept(raw, jpeg) == (raw, "the camera's raw file")
    # The raw's own size, which the camera took, not its embedded preview's (1024 pixels).
    copy = look(raw)
    assert (copy.camera_raw, copy.pixels, copy.camera_exif) == (True, RAW_SIZE[0] * RAW_SIZE[1],
                                                                True)
    assert not look(jpeg).camera_raw


def test_the_raw_is_kept_over_every_rendering_of_it(tmp_path):
    """The camera's JPEG, an upscaler's output (more pixels, no EXIF) and an editor's PNG export
    (the biggest file) beside the raw, whose embedded preview is small (256 pixels)."""
    raw = str(make_camera_raw(tmp_path / "DSC_0042.NEF", preview_side=256))
    jpeg = camera_jpeg(tmp_path / "DSC_0042.JPG", side=600)
    enlarged = camera_jpeg(tmp_path / "DSC_0042_upscayl_4x.jpg", side=1800, exif=False)
    png = str(tmp_path / "export" / "DSC_0042.png")
    os.makedirs(os.path.dirname(png))
    sample_image("chelsea").save(png)
    group = [Match(1, png, 0, 8), Match(2, enlarged, 0, 8), Match(3, jpeg, 0, 8),
             Match(4, raw, 0, 8)]
    index = HammingIndex(np.arange(1, 5), np.zeros((4, 1), dtype=np.uint8), 8)
    first = keeper_first(group, index)
    assert (first[0].path, first.why) == (raw, "the camera's raw file")


def test_two_raws_compare_their_sensor_size_not_their_preview(tmp_path):
    """A copy of the raw whose preview an editor updated (bigger) is the same photo: the name
    without a copy marker decides, as for any copies; Pillow saw the bigger preview."""
    original = str(make_camera_raw(tmp_path / "Pictures" / "2023" / "IMG_1.NEF",
                                   preview_side=256))
    updated = str(make_camera_raw(tmp_path / "IMG_1 (1).NEF", preview_side=1024))
    assert os.path.getsize(updated) > os.path.getsize(original)
    assert kept(original, updated) == (original, "name without a copy marker")
    byte_copy = str(tmp_path / "Pictures" / "2023" / "IMG_1 copy.NEF")
    shutil.copy2(original, byte_copy)
    assert kept(byte_copy, original) == (original, "name without a copy marker")


def test_a_jpeg_named_nef_is_ranked_as_the_jpeg_it_is(tmp_path):
    """A JPEG a tool saved under a raw's name: its pixels and EXIF are the JPEG's (LibRaw, asked
    first, would say nothing of it), and it is no raw: the camera's raw is kept over it."""
    misnamed = camera_jpeg(tmp_path / "IMG_0001.NEF")
    raw = str(make_camera_raw(tmp_path / "raw" / "IMG_0001.CR2"))
    assert kept(raw, misnamed) == (raw, "the camera's raw file")
    copy = look(misnamed)
    assert (copy.camera_raw, copy.pixels, copy.camera_exif) == (False, pixels(misnamed), True)
    same = tmp_path / "IMG_0001.jpg"  # the same bytes under a JPEG's name
    shutil.copy2(misnamed, same)
    assert copy == dataclasses.replace(look(str(same)), path=misnamed)
    # Beside a smaller copy of it, the misnamed JPEG is kept for its pixels.
    small = camera_jpeg(tmp_path / "mail" / "IMG_0001.jpg", side=600)
    assert kept(small, misnamed) == (misnamed, "most pixels")


def damaged_at_the_end(raw: Path) -> None:
    raw.write_bytes(raw.read_bytes()[:-20])  # cut short: its sensor data's description


def damaged_in_the_middle(raw: Path) -> None:
    with Image.open(raw) as image:
        (sensor_ifd,) = image.tag_v2[330]  # SubIFDs: where the sensor data is described
    data = raw.read_bytes()
    raw.write_bytes(data[:sensor_ifd] + b"\0" * (len(data) - sensor_ifd))


@pytest.mark.parametrize("damage", [damaged_at_the_end, damaged_in_the_middle])
def test_a_damaged_raw_is_unknown_not_an_error(tmp_path, damage):
    """LibRaw refuses it (as images.decode does); its preview, which Pillow still reads, is no
    photo of the camera's: the raw is ranked as an unreadable file, below a small JPEG."""
    raw = make_camera_raw(tmp_path / "IMG_0001.NEF")
    damage(raw)
    small = camera_jpeg(tmp_path / "IMG_0001.jpg", side=256, exif=False)
    copy = look(str(raw))
    assert copy == keeper.Copy(str(raw), size=os.path.getsize(raw), mtime=os.stat(raw).st_mtime)
    assert kept(str(raw), small) == (small, "most pixels")
    junk = tmp_path / "junk.CR2"  # a raw's signature, nothing after it
    junk.write_bytes(b"II*\0" + b"\x55" * 5000)
    assert look(str(junk)).pixels == 0


def test_a_raw_and_its_copies_read_one_header(tmp_path, monkeypatch):
    """Byte-identical copies of a raw (the library's fingerprints say which) share its header,
    as any photo's: two reads for three raws and the JPEG, and the raws come first."""
    raw = str(make_camera_raw(tmp_path / "DCIM" / "IMG_0001.CR2"))
    copies = [str(tmp_path / "IMG_0001 (1).CR2"), str(tmp_path / "backup" / "IMG_0001.CR2")]
    for copy in copies:
        os.makedirs(os.path.dirname(copy), exist_ok=True)
        shutil.copy2(raw, copy)
    jpeg = camera_jpeg(tmp_path / "DCIM" / "IMG_0001.JPG")
    paths = [jpeg, *copies, raw]
    contents = {}
    for photo_id, path in enumerate(paths, 1):
        st = os.stat(path)
        contents[photo_id] = (fingerprint(path), (st.st_size, st.st_mtime, change_time(st)))
    reads, real_read = [], keeper.read_header
    monkeypatch.setattr(keeper, "read_header", lambda path: reads.append(path) or real_read(path))
    group = [Match(i, p, 0, 8) for i, p in enumerate(paths, 1)]
    index = HammingIndex(np.arange(1, 5), np.zeros((4, 1), dtype=np.uint8), 8)
    first = keeper_first(group, index, contents=contents)
    assert len(reads) == 2
    # Kept over the JPEG and over its copies: the next best, the one at a longer path.
    assert (first[0].path, first.why) == (raw, "shortest path")


@pytest.mark.skipif(sys.platform != "linux", reason="a name that is not UTF-8: Linux alone")
def test_a_raw_whose_name_is_not_utf8_is_read(tmp_path):
    """A name an old system wrote in Latin-1 ("Café" as one byte é): rawpy hands LibRaw the
    name in UTF-8, which it has none of; the raw is read all the same."""
    raw = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"Caf\xe9_0001.NEF"))
    make_camera_raw(Path(raw))
    jpeg = camera_jpeg(tmp_path / "Café_0001.JPG")
    assert kept(raw, jpeg) == (raw, "the camera's raw file")
    assert look(raw).pixels == RAW_SIZE[0] * RAW_SIZE[1]
