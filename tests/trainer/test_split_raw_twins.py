"""A camera shooting RAW+JPEG writes each photo twice (IMG_0001.CR2 beside IMG_0001.JPG): one
picture, counted once, so that the split cannot put one twin in training and the other among the
held-out photos (nor one in query and the other in the database). Albums without twins keep the
split they had."""

from __future__ import annotations

import json
import shutil
import struct
import unicodedata
from pathlib import Path

import numpy as np
from photos import make_camera_raw, make_photo

from trainer.albums import Manifest, prepare, scan_albums
from trainer.cli import main

SEEDS = (0, 1, 2, 3, 4)
RAW_SUFFIXES = (".CR2", ".NEF", ".dng", ".ARW")


def raw_plus_jpeg_albums(root, pairs_per_album=8):
    """Two albums of RAW+JPEG pairs as cameras write them (one in a nested folder, one whose
    names differ in case). Returns [(raw, jpeg)]."""
    pairs = []
    for label, name in (("cats", "chelsea"), ("space", "astronaut")):
        for k in range(pairs_per_album):
            folder = root / label / ("2024-06" if k % 3 == 0 else "")
            size = (96 + 8 * k, 80 + 4 * k)  # each pair a picture of its own
            stem = f"IMG_{k:04d}"
            jpeg = make_photo(folder / f"{stem.lower() if k == 5 else stem}.JPG", name,
                              size=size)
            raw = make_camera_raw(folder / f"{stem}{RAW_SUFFIXES[k % 4]}", name, size=size,
                                  preview_side=160)
            pairs.append((raw, jpeg))
    return pairs


def splits_of(manifest: Manifest, files) -> set[str]:
    """The splits of the manifest's photos read from `files`."""
    paths = {str(f.resolve()) for f in files}
    return {p.split for p in manifest.photos if p.path in paths}


def test_no_raw_jpeg_pair_is_split_across_sets_whatever_the_seed(tmp_path):
    pairs = raw_plus_jpeg_albums(tmp_path / "albums")
    for seed in SEEDS:
        m = prepare(tmp_path / "albums", seed=seed)
        assert all(len(splits_of(m, pair)) == 1 for pair in pairs), seed
        # One photo per pair, the camera's JPEG; the raw is counted with it.
        assert sorted(p.path for p in m.photos) == sorted(str(j.resolve()) for _, j in pairs)
        assert m.raw_twins == len(pairs)
        assert "16 files are the RAW+JPEG twin of a photo in the same folder (the same " \
            "picture, counted once)" in m.copies_note()


def test_a_raw_jpeg_album_is_prepared_as_its_jpegs_alone(tmp_path):
    """The manifest the album had before raws were read: same photos, split and dataset
    fingerprint, so a run folder made then is not trained again."""
    pairs = raw_plus_jpeg_albums(tmp_path / "albums")
    shutil.copytree(tmp_path / "albums", tmp_path / "jpegs")
    for raw, _ in pairs:
        (tmp_path / "jpegs" / raw.relative_to(tmp_path / "albums")).unlink()
    for seed in SEEDS[:2]:
        both, alone = prepare(tmp_path / "albums", seed=seed), prepare(tmp_path / "jpegs",
                                                                       seed=seed)
        assert [(p.fingerprint, p.labels, p.split) for p in both.photos] == \
            [(p.fingerprint, p.labels, p.split) for p in alone.photos]
        assert both.fingerprint == alone.fingerprint
        assert both.split_digest() == alone.split_digest()


def test_twins_are_joined_through_a_copy_in_another_album(tmp_path):
    """The raw copied into a second album is the same picture as its twin JPEG in the first:
    one photo with both labels, else one could be trained on and the other held out."""
    albums = tmp_path / "albums"
    pairs = raw_plus_jpeg_albums(albums, pairs_per_album=4)
    raw, jpeg = pairs[1]
    shutil.copy(raw, albums / "space" / "from-the-trip.CR2")
    scan = scan_albums(albums)
    (photo,) = [p for p in scan.photos if len(p.labels) > 1]
    assert photo.path == str(jpeg.resolve())
    assert [scan.labels[i] for i in photo.labels] == ["cats", "space"]
    assert len(scan.photos) == 8 and (scan.raw_twins, scan.copies) == (8, 1)


def test_inspect_and_prepare_say_how_many_twins_were_counted_once(tmp_path, capsys):
    albums = tmp_path / "albums"
    raw_plus_jpeg_albums(albums, pairs_per_album=4)
    assert main(["inspect", str(albums), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["photos"], report["raw_twins"], report["copies"]) == (8, 8, 0)
    assert report["per_label"] == {"cats": 4, "space": 4}
    assert main(["prepare", str(albums), "--out", str(tmp_path / "run"),
                 "--progress", "none"]) == 0
    err = capsys.readouterr().err
    assert "8 photos to train on: 8 files are the RAW+JPEG twin of a photo in the same " \
        "folder" in err
    saved = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert saved["raw_twins"] == 8 and len(saved["photos"]) == 8
    assert Manifest.load(tmp_path / "run" / "manifest.json").raw_twins == 8


def test_a_raw_whose_jpeg_cannot_be_read_stands_for_the_picture(tmp_path):
    albums = tmp_path / "albums"
    pairs = raw_plus_jpeg_albums(albums, pairs_per_album=4)
    raw, jpeg = pairs[2]
    jpeg.write_bytes(jpeg.read_bytes()[:300])  # a copy cut short
    scan = scan_albums(albums)
    assert str(raw.resolve()) in [p.path for p in scan.photos]
    assert len(scan.photos) == 8 and scan.raw_twins == 7
    assert [item["path"] for item in scan.unreadable] == [str(jpeg)]


def test_files_alike_by_name_that_are_not_twins_stay_photos_of_their_own(tmp_path):
    """Twins share a folder and a name, and one is a raw: a raw and a JPEG of one name in two
    folders, or a JPEG and a PNG (no raw), are photos of their own."""
    albums = tmp_path / "albums"
    raw_plus_jpeg_albums(albums, pairs_per_album=3)
    make_camera_raw(albums / "cats" / "a" / "IMG_0100.CR2", "chelsea", size=(120, 90),
                    preview_side=160)
    make_photo(albums / "cats" / "b" / "IMG_0100.JPG", "chelsea", size=(120, 90))
    make_photo(albums / "space" / "IMG_0200.JPG", "rocket", size=(120, 90))
    make_photo(albums / "space" / "IMG_0200.png", "rocket", size=(120, 90))
    scan = scan_albums(albums)
    assert len(scan.photos) == 10 and scan.raw_twins == 6
    names = sorted(Path(p.path).name for p in scan.photos
                   if Path(p.path).stem in ("IMG_0100", "IMG_0200"))
    assert names == ["IMG_0100.CR2", "IMG_0100.JPG", "IMG_0200.JPG", "IMG_0200.png"]


def test_twins_named_in_two_unicode_forms_are_twins(tmp_path):
    """A name typed on a Mac is decomposed (NFD), the same name written elsewhere composed
    (NFC): one name on screen, and a raw and its JPEG so named are one picture."""
    albums = tmp_path / "albums"
    raw_plus_jpeg_albums(albums, pairs_per_album=3)
    stem = "Fête d'été 1"
    raw = make_camera_raw(albums / "cats" / f"{unicodedata.normalize('NFD', stem)}.CR2",
                          "chelsea", size=(120, 90), preview_side=160)
    jpeg = make_photo(albums / "cats" / f"{unicodedata.normalize('NFC', stem)}.jpg", "chelsea",
                      size=(120, 90))
    assert raw.stem != jpeg.stem  # two names to the file system
    scan = scan_albums(albums)
    assert len(scan.photos) == 7 and scan.raw_twins == 7
    assert str(jpeg.resolve()) in [p.path for p in scan.photos]


# -- albums without twins keep their split -------------------------------------------------------

def write_bmp(path, k: int) -> None:
    """A 24-bit BMP written byte by byte (no encoder whose output could change with a library
    version): picture `k` of its own, so its content fingerprint is fixed."""
    w, h = 64 + 8 * (k % 3), 64 + 4 * (k % 5)
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([(3 * x + 37 * k) % 256, (5 * y + 11 * k) % 256, ((x + y) * (k + 1)) % 256],
                   axis=-1).astype(np.uint8)
    pad = b"\0" * (-3 * w % 4)
    pixels = b"".join(rgb[row, :, ::-1].tobytes() + pad for row in range(h - 1, -1, -1))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
                     + struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835,
                                   0, 0) + pixels)


def twin_free_albums(root):
    """Albums of 9, 5 and 5 photos, one a raw whose namesake is in another folder (not its
    twin). Every file's bytes are fixed (the raw has no embedded JPEG: no encoder's output)."""
    k = 0
    for label, count in (("beach", 9), ("forest", 5), ("city", 3)):
        for i in range(count):
            write_bmp(root / label / ("old" if i % 2 else "") / f"P{i:02d}.bmp", k)
            k += 1
    write_bmp(root / "city" / "P09.bmp", k)
    make_camera_raw(root / "city" / "raw" / "P09.CR2", "chelsea", preview_side=None)
    return root


# The split the trainer gave these albums before twins were known (generated from its code then,
# for each seed): a change here would move existing users' run folders and caches to a new split.
EXPECTED = {
    0: [
        ("beach/P00.bmp", "train"), ("beach/P02.bmp", "train"), ("beach/P04.bmp", "train"),
        ("beach/P06.bmp", "train"), ("beach/P08.bmp", "train"), ("beach/old/P01.bmp", "train"),
        ("beach/old/P03.bmp", "query"), ("beach/old/P05.bmp", "train"),
        ("beach/old/P07.bmp", "val"), ("city/P00.bmp", "train"), ("city/P02.bmp", "query"),
        ("city/P09.bmp", "val"), ("city/old/P01.bmp", "train"), ("city/raw/P09.CR2", "train"),
        ("forest/P00.bmp", "val"), ("forest/P02.bmp", "train"), ("forest/P04.bmp", "train"),
        ("forest/old/P01.bmp", "query"), ("forest/old/P03.bmp", "train")],
    7: [
        ("beach/P00.bmp", "train"), ("beach/P02.bmp", "query"), ("beach/P04.bmp", "train"),
        ("beach/P06.bmp", "val"), ("beach/P08.bmp", "train"), ("beach/old/P01.bmp", "train"),
        ("beach/old/P03.bmp", "train"), ("beach/old/P05.bmp", "train"),
        ("beach/old/P07.bmp", "train"), ("city/P00.bmp", "train"), ("city/P02.bmp", "train"),
        ("city/P09.bmp", "train"), ("city/old/P01.bmp", "query"), ("city/raw/P09.CR2", "val"),
        ("forest/P00.bmp", "val"), ("forest/P02.bmp", "train"), ("forest/P04.bmp", "train"),
        ("forest/old/P01.bmp", "query"), ("forest/old/P03.bmp", "train")],
}
EXPECTED_FINGERPRINT = "04752d6e86b2989cd415d6b5b54c7d71ddc96a3fbec36749445e94a880857588"


def test_albums_without_twins_keep_the_split_they_had(tmp_path):
    root = twin_free_albums(tmp_path / "albums")
    for seed, expected in EXPECTED.items():
        m = prepare(root, seed=seed)
        # In the manifest's order too: features are stored in it.
        got = [(Path(p.path).relative_to(root.resolve()).as_posix(), p.split)
               for p in m.photos]
        assert got == expected, seed
        assert m.fingerprint == EXPECTED_FINGERPRINT
        assert m.raw_twins == 0
