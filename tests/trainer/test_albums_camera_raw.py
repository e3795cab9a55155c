"""Albums of camera raw files (DNG, NEF, CR2, ARW...) are photos the trainer reads, as the app
does: counted as readable, not as "files of other kinds" to save as JPEG."""

from __future__ import annotations

import json
import os

from photos import make_camera_raw

from trainer.cli import main

# Each file a photo of its own (other bytes): a turned one, one whose embedded preview is too
# small for the trainer's read (developed instead), one without any, as cameras write them.
RAWS = [("IMG_0001.CR2", {"orientation": 6}), ("DSC_0002.NEF", {"orientation": 8}),
        ("_DSC0003.ARW", {"preview_side": 48}), ("PXL_0004.dng", {"preview_side": None})]


def raw_albums(root):
    for label, name in (("cats", "chelsea"), ("coffee", "coffee")):
        for file_name, kwargs in RAWS:
            make_camera_raw(root / label / file_name, name, model=f"Raw {file_name}", **kwargs)
    return root


def test_albums_of_raw_files_are_prepared_with_every_raw_read(tmp_path, capsys):
    albums = raw_albums(tmp_path / "albums")
    assert main(["inspect", str(albums), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["per_label"] == {"cats": 4, "coffee": 4}
    assert report["unreadable"] == [] and report["empty_albums"] == []
    assert main(["prepare", str(albums), "--out", str(tmp_path / "run"),
                 "--progress", "none"]) == 0
    assert "8 photos, 2 labels" in capsys.readouterr().err
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["labels"] == ["cats", "coffee"]
    assert manifest["unreadable"] == [] and manifest["empty_album_reasons"] == {}
    assert sorted(os.path.basename(p["path"]) for p in manifest["photos"]) == \
        sorted([name for name, _ in RAWS] * 2)
    assert all(p["split"] for p in manifest["photos"])


def test_an_album_of_other_kinds_names_what_is_not_read(tmp_path, capsys):
    """Raw files are read now: the files named as not read are the other kinds (video,
    Photoshop documents); a damaged raw is an unreadable photo, said as such."""
    albums = raw_albums(tmp_path / "albums")
    clips = albums / "clips"
    clips.mkdir()
    (clips / "clip.MOV").write_bytes(os.urandom(2000))
    (clips / "poster.psd").write_bytes(b"8BPS" + os.urandom(2000))
    (clips / "IMG_0001.xmp").write_text("<x:xmpmeta/>")  # a raw editor's sidecar: not counted
    broken = albums / "broken"
    cut = make_camera_raw(broken / "IMG_0009.CR2", "coffee")
    cut.write_bytes(cut.read_bytes()[:20000])  # a copy cut short
    assert main(["inspect", str(albums)]) == 0
    out = capsys.readouterr().out
    assert (f"{clips}: it holds only 2 files that are not photos Lookalike reads (1 .mov, "
            "1 .psd): save them as JPEG, PNG, HEIC or WebP to train on them") in out
    assert f"{broken}: its photo could not be read (named above)" in out
    assert f"unreadable: {cut}: LibRaw " in out and "cannot read this camera raw file" in out


def test_the_refusal_for_no_readable_photo_names_camera_raw_among_the_kinds(tmp_path, capsys):
    albums = tmp_path / "albums"
    for label in ("trip", "party"):
        (albums / label).mkdir(parents=True)
        (albums / label / "clip.mp4").write_bytes(os.urandom(2000))
    assert main(["prepare", str(albums), "--out", str(tmp_path / "run"),
                 "--progress", "json"]) == 2
    error = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert "the albums hold no readable photos" in error["message"]
    assert "Add photos (JPEG, PNG, HEIC, WebP, camera raw...) to one sub-folder per label" \
        in error["message"]
