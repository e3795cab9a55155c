"""Which photo of a duplicate group is kept (left unticked; the others go to the trash), with the
copies people really have, made for real: an iPhone HEIC and its JPEG conversion, a camera JPEG
and its PNG export or an editor's re-save, a resized copy, a copy named "IMG_1234 (1).jpg".
The biggest file, kept before, lost the original in the first three."""

from __future__ import annotations

import builtins
import os
import shutil
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from keeper_order import kept
from photos import pad_to_same_size, rewrite_keeping_size_and_time, sample_image
from PIL import Image

from desktop_app.core import keeper
from desktop_app.core.hashing import HammingIndex
from desktop_app.core.images import fingerprint
from desktop_app.core.keeper import copy_marked, keeper_first
from desktop_app.core.records import Match
from desktop_app.core.scan import change_time

pillow_heif.register_heif_opener()  # the HEIF writer

TAKEN = "2023:05:01 10:00:00"


def camera_exif(date_only: bool = False) -> bytes:
    """EXIF as a phone or camera writes it: maker and model, and the date taken (in the Exif
    sub-IFD); `date_only`: the date taken and nothing else."""
    exif = Image.Exif()
    if not date_only:
        exif[0x010F], exif[0x0110] = "Apple", "iPhone 13"
    exif.get_ifd(0x8769)[0x9003] = TAKEN
    return exif.tobytes()


def save(path: Path, fmt: str, size: tuple[int, int] | None = None, exif: bytes | None = None,
         **options) -> str:
    image = sample_image("astronaut")
    if size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    if exif:
        options["exif"] = exif
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format=fmt, **options)
    return str(path)


def bigger(a: str, b: str) -> bool:
    return os.path.getsize(a) > os.path.getsize(b)


def test_an_iphone_heic_is_kept_over_its_bigger_jpeg_conversion(tmp_path):
    heic = save(tmp_path / "IMG_0001.HEIC", "HEIF", exif=camera_exif(), quality=50)
    # A converter that keeps the EXIF (Photos' export), and one that drops it (many websites).
    jpeg = save(tmp_path / "export" / "IMG_0001.jpg", "JPEG", exif=camera_exif(), quality=92)
    bare = save(tmp_path / "web" / "IMG_0001.jpg", "JPEG", quality=92)
    assert bigger(jpeg, heic) and bigger(bare, heic)
    assert kept(heic, jpeg) == (heic, "the camera's own format (HEIC)")
    assert kept(heic, bare) == (heic, "has the camera's EXIF (date taken, camera)")


def test_a_camera_jpeg_is_kept_over_its_png_export(tmp_path):
    jpeg = save(tmp_path / "DSC_0042.jpg", "JPEG", exif=camera_exif(), quality=85)
    png = save(tmp_path / "DSC_0042.png", "PNG")
    assert os.path.getsize(png) > 4 * os.path.getsize(jpeg)
    assert kept(jpeg, png) == (jpeg, "has the camera's EXIF (date taken, camera)")


def test_a_camera_jpeg_is_kept_over_an_editors_bigger_resave_without_exif(tmp_path):
    camera = save(tmp_path / "DSC_0042.jpg", "JPEG", exif=camera_exif(), quality=85)
    edited = save(tmp_path / "edited" / "DSC_0042.jpg", "JPEG", quality=98)
    assert bigger(edited, camera)
    assert kept(camera, edited)[0] == camera


def test_the_date_taken_alone_is_the_cameras_exif(tmp_path):
    camera = save(tmp_path / "scan.jpg", "JPEG", exif=camera_exif(date_only=True), quality=80)
    edited = save(tmp_path / "scan-edit.jpg", "JPEG", quality=95)
    assert bigger(edited, camera)
    assert kept(camera, edited) == (camera, "has the camera's EXIF (date taken, camera)")


def test_the_full_resolution_original_is_kept_over_a_resized_copy(tmp_path):
    original = save(tmp_path / "IMG_0001.jpg", "JPEG", exif=camera_exif(), quality=80)
    # A messenger's copy: smaller, re-encoded at a higher quality, the EXIF kept.
    mailed = save(tmp_path / "mail" / "IMG_0001.jpg", "JPEG", size=(256, 256),
                  exif=camera_exif(), quality=95)
    assert kept(original, mailed) == (original, "most pixels")
    # More pixels come first even against a HEIC and its EXIF: a copy lost detail.
    small_heic = save(tmp_path / "small.HEIC", "HEIF", size=(256, 256), exif=camera_exif())
    bare = save(tmp_path / "bare.png", "PNG")
    assert kept(small_heic, bare) == (bare, "most pixels")


@pytest.mark.parametrize("copy_name", ["IMG_1234 (1).jpg", "IMG_1234(1).jpg", "IMG_1234 copy.jpg",
                                       "IMG_1234 copy 2.jpg", "IMG_1234 - Copy.jpg",
                                       "IMG_1234 - Copy (2).jpg", "IMG_1234-2.jpg",
                                       "Copy of IMG_1234.jpg", "img_1234 (copy).JPG"])
def test_of_two_identical_files_the_name_without_a_copy_marker_is_kept(tmp_path, copy_name):
    # Downloaded again: the copy sits at a shorter path, with the original's date.
    original = save(tmp_path / "Pictures" / "2023" / "Holiday" / "IMG_1234.jpg", "JPEG",
                    exif=camera_exif())
    copy = tmp_path / copy_name
    shutil.copy2(original, copy)
    assert kept(str(copy), original) == (original, "name without a copy marker")


def test_a_numbered_name_is_no_copy_marker_without_the_name_it_would_copy():
    assert copy_marked(["Walk_12.jpg", "Walk_13.jpg", "x/Walk_1.jpg"]) == [False] * 3
    assert copy_marked(["IMG_1234 (1).jpg", "IMG_1234 (2).jpg"]) == [False, False]
    # The original in another format and folder is still the name copied.
    assert copy_marked(["a/IMG_1234 (1).jpg", "b/IMG_1234.HEIC", "IMG_1234 (1) copy.jpg"]) == \
        [True, False, True]


def test_copies_equal_in_everything_keep_the_older_file_then_the_shorter_path(tmp_path):
    first = save(tmp_path / "Pictures" / "2023" / "IMG_1.jpg", "JPEG", exif=camera_exif())
    second = tmp_path / "backup" / "IMG_1.jpg"
    second.parent.mkdir()
    shutil.copy2(first, second)
    assert kept(first, str(second)) == (str(second), "shortest path")
    stamp = os.stat(first).st_mtime
    os.utime(second, (stamp + 60, stamp + 60))  # copied later, without -p
    assert kept(first, str(second)) == (first, "oldest file")
    third = tmp_path / "backup" / "IMG_2.jpg"  # as long as "second": its name decides
    shutil.copy2(second, third)
    assert kept(str(second), str(third)) == (str(second), "first by path")


def test_a_bigger_file_is_kept_when_nothing_else_tells_them_apart(tmp_path):
    small = save(tmp_path / "photo.jpg", "JPEG", quality=60)
    large = save(tmp_path / "photo-big.jpg", "JPEG", quality=95)
    assert kept(small, large) == (large, "biggest file")


def test_a_photo_gone_or_unreadable_is_ranked_last_without_an_error(tmp_path):
    good = save(tmp_path / "small.jpg", "JPEG", size=(64, 64), quality=60)
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture " * 10_000)  # bigger than the photo
    assert kept(good, str(text), str(tmp_path / "gone.jpg")) == (good, "most pixels")


def test_keeper_first_puts_the_kept_photo_first_and_measures_the_others_from_it(tmp_path):
    heic = save(tmp_path / "IMG_0001.HEIC", "HEIF", exif=camera_exif())
    jpeg = save(tmp_path / "IMG_0001.jpg", "JPEG", exif=camera_exif(), quality=95)
    small = save(tmp_path / "IMG_0001 (1).jpg", "JPEG", size=(128, 128))
    codes = np.array([[0b0000_0000], [0b0000_0011], [0b0000_0001]], dtype=np.uint8)
    index = HammingIndex(np.array([1, 2, 3]), codes, 8)
    # As the search gives it: the lowest id first, distances to it.
    group = [Match(1, small, 0, 8), Match(2, jpeg, 2, 8), Match(3, heic, 1, 8)]
    first = keeper_first(group, index)
    assert first == [Match(3, heic, 0, 8), Match(1, small, 1, 8), Match(2, jpeg, 1, 8)]
    assert first.why == "the camera's own format (HEIC)"


def camera_exif_at(size: tuple[int, int]) -> bytes:
    """A camera's EXIF that records the size it took the photo at (PixelXDimension and
    PixelYDimension, as phones and cameras write them)."""
    exif = Image.Exif()
    exif.load(camera_exif())
    exif.get_ifd(0x8769)[0xA002], exif.get_ifd(0x8769)[0xA003] = size
    return exif.tobytes()


@pytest.mark.parametrize("fmt, name", [("PNG", "IMG_0001_upscayl_2x.png"),
                                       ("JPEG", "enlarged/IMG_0001.jpg")])
def test_the_camera_original_is_kept_over_an_enlarged_copy_without_its_exif(
        tmp_path, fmt, name):
    """An AI upscaler's output or an editor's enlargement has more pixels than the camera took,
    not more detail, and no EXIF: the original with its date taken went to the trash."""
    original = save(tmp_path / "IMG_0001.jpg", "JPEG", exif=camera_exif_at((512, 512)),
                    quality=90)
    enlarged = save(tmp_path / name, fmt, size=(1024, 1024), quality=95)
    assert kept(original, enlarged) == (original, "has the camera's EXIF (date taken, camera)")
    # Its stale EXIF (the size the camera took) kept: enlarged too.
    stale = save(tmp_path / "stale" / name, fmt, size=(1024, 1024),
                 exif=camera_exif_at((512, 512)), quality=95)
    assert kept(original, stale)[0] == original
    # A copy resized down still loses to the original, and a bigger photo whose EXIF records no
    # size, or another size than its own, is not taken for a camera original.
    small = save(tmp_path / "small" / "IMG_0001.jpg", "JPEG", size=(256, 256),
                 exif=camera_exif_at((256, 256)))
    assert kept(original, small, enlarged) == (
        original, "has the camera's EXIF (date taken, camera)")
    resized = save(tmp_path / "resized" / "IMG_0001.jpg", "JPEG", size=(256, 256),
                   exif=camera_exif_at((512, 512)))
    assert kept(resized, enlarged) == (enlarged, "most pixels")


@pytest.mark.parametrize("copy_name", ["IMG_1234 - Kopie.jpg", "IMG_1234 - Kopie (2).jpg",
                                       "IMG_1234 - Copie.jpg", "IMG_1234 - copia.jpg",
                                       "IMG_1234 - kopia.jpg", "IMG_1234 Kopie.jpg",
                                       "IMG_1234 Kopie 2.jpg", "IMG_1234 copie.jpg",
                                       "Kopie von IMG_1234.jpg", "Copie de IMG_1234.jpg"])
def test_a_copy_marker_in_the_language_of_the_file_manager_is_one(tmp_path, copy_name):
    """Windows and macOS name a copy in the system's language ("IMG_1234 - Kopie.jpg" on a
    German Windows, "IMG_1234 copie.jpg" in a French Finder): such a copy moved to a shorter
    path, with the original's date as both keep it, was kept and the original trashed."""
    original = save(tmp_path / "Pictures" / "2023" / "Holiday" / "IMG_1234.jpg", "JPEG",
                    exif=camera_exif())
    copy = tmp_path / copy_name
    shutil.copy2(original, copy)
    assert kept(str(copy), original) == (original, "name without a copy marker")


# -- one header read per content ------------------------------------------------------------
# pillow-heif reads a HEIC whole: 10,000 groups of copies of 8 MB HEICs on a NAS read 80 GB
# before (minutes) while the tab said "Looking for near-identical photos…". Byte-identical
# copies (the library's fingerprint) have one header: it is read once per content.

def stored(paths: list[str], change_times: bool = True) -> dict[int, tuple]:
    """What the library stores of each photo (ids from 1): its fingerprint, and the size, mtime
    and change time that tell it still holds those bytes (`change_times` False: none, as on
    Windows, where size and mtime alone are trusted)."""
    contents = {}
    for photo_id, path in enumerate(paths, 1):
        st = os.stat(path)
        contents[photo_id] = (fingerprint(path), (st.st_size, st.st_mtime,
                                                  change_time(st) if change_times else None))
    return contents


def group_of(paths: list[str]) -> tuple[list[Match], HammingIndex]:
    ids = np.arange(1, len(paths) + 1)
    index = HammingIndex(ids, np.zeros((len(paths), 1), dtype=np.uint8), 8)
    return [Match(int(i), p, 0, 8) for i, p in zip(ids, paths, strict=True)], index


@pytest.fixture
def header_reads(monkeypatch) -> list[str]:
    """The paths whose header keeper reads (counted, read for real)."""
    read, real = [], keeper.read_header

    def counting(path: str) -> keeper.Header:
        read.append(path)
        return real(path)

    monkeypatch.setattr(keeper, "read_header", counting)
    return read


def kept_both_ways(paths: list[str], header_reads: list[str]) -> tuple[keeper.Group, int]:
    """(the group as kept knowing the copies, its header reads), checked to be the group kept
    reading every photo's header, the photos in either order."""
    group, index = group_of(paths)
    contents = stored(paths)
    for order in (group, group[::-1]):
        header_reads.clear()
        knowing = keeper_first(order, index, contents=contents)
        reads = len(header_reads)
        every = keeper_first(order, index)
        assert (knowing, knowing.why) == (every, every.why)
    return knowing, reads


def test_byte_identical_copies_are_ranked_without_reading_a_header(tmp_path, header_reads):
    heic = save(tmp_path / "Pictures" / "IMG_0001.HEIC", "HEIF", exif=camera_exif())
    marked = str(tmp_path / "Pictures" / "IMG_0001 (1).HEIC")  # downloaded again
    shutil.copy2(heic, marked)
    backup = tmp_path / "backup" / "IMG_0001.HEIC"  # copied later, without -p
    backup.parent.mkdir()
    shutil.copy(heic, backup)
    stamp = os.stat(heic).st_mtime
    os.utime(backup, (stamp + 60, stamp + 60))
    group, reads = kept_both_ways([marked, str(backup), heic], header_reads)
    assert reads == 0
    assert (group[0].path, group.why) == (heic, "oldest file")


def test_a_mixed_group_reads_one_header_per_content(tmp_path, header_reads):
    heic = save(tmp_path / "IMG_0001.HEIC", "HEIF", exif=camera_exif(), quality=50)
    jpeg = save(tmp_path / "export" / "IMG_0001.jpg", "JPEG", exif=camera_exif(), quality=92)
    small = save(tmp_path / "mail" / "IMG_0001.jpg", "JPEG", size=(128, 128), quality=80)
    copies = []
    for original, name in ((heic, "IMG_0001 copy.HEIC"), (heic, "IMG_0001 (1).HEIC"),
                           (jpeg, "export/IMG_0001 (1).jpg")):
        copies.append(str(tmp_path / name))
        shutil.copy2(original, copies[-1])
    group, reads = kept_both_ways([small, *copies, jpeg, heic], header_reads)
    assert reads == 3  # the HEIC, its JPEG conversion, the resized copy: 3 of 6
    assert (group[0].path, group.why) == (heic, "name without a copy marker")


def test_a_copy_rewritten_since_it_was_indexed_is_read_again(tmp_path, header_reads):
    """Its stored fingerprint is stale: a smaller photo written over it, keeping its size and
    mtime (exiftool -P, cp -p): only its change time tells, as it tells the indexer."""
    original = save(tmp_path / "IMG_1.jpg", "JPEG", exif=camera_exif(), quality=90)
    copy = str(tmp_path / "IMG_1 (1).jpg")
    shutil.copy2(original, copy)
    group, index = group_of([original, copy])
    contents = stored([original, copy])  # as indexed: byte-identical
    small = save(tmp_path / "small.jpg", "JPEG", size=(64, 64), exif=camera_exif())
    pad_to_same_size(original, small)
    rewrite_keeping_size_and_time(Path(original), Path(small).read_bytes())
    kept_group = keeper_first(group, index, contents=contents)
    assert (kept_group[0].path, kept_group.why) == (copy, "most pixels")
    assert sorted(header_reads) == sorted([original, copy])


def test_a_copy_that_cannot_be_opened_is_not_given_its_twins_header(tmp_path, header_reads,
                                                                     monkeypatch):
    """Kept unread, it would be kept over its readable twin (older) and the twin trashed. (A
    chmod sets the change time, which says the file changed; not on Windows: no change time
    there, and a file's access rights set leave its size and mtime as they are.)"""
    locked = save(tmp_path / "old" / "IMG_1.jpg", "JPEG", exif=camera_exif())
    twin = str(tmp_path / "new" / "IMG_1.jpg")
    os.makedirs(os.path.dirname(twin))
    shutil.copy(locked, twin)
    stamp = os.stat(locked).st_mtime
    os.utime(twin, (stamp + 60, stamp + 60))
    group, index = group_of([locked, twin])
    contents = stored([locked, twin], change_times=False)
    os.chmod(locked, 0)
    try:
        if _opens(locked):  # root: permissions stop no one; the system's refusal, as a user gets
            for module, name in ((os, "open"), (builtins, "open")):
                monkeypatch.setattr(module, name, refusing(getattr(module, name), locked))
        kept_group = keeper_first(group, index, contents=contents)
    finally:
        os.chmod(locked, 0o644)
    assert (kept_group[0].path, kept_group.why) == (twin, "most pixels")


def refusing(real_open, locked: str):
    """`real_open`, but for `locked`: permission denied."""
    def opener(path, *args, **kwargs):
        if isinstance(path, (str, bytes, os.PathLike)) and os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_open(path, *args, **kwargs)
    return opener


def _opens(path: str) -> bool:
    try:
        open(path, "rb").close()
    except PermissionError:
        return False
    return True
