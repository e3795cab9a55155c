"""Albums as people make them: the same photo in two albums, a folder linked into an album,
an album whose one photo cannot be read, sidecar files beside the photos, and album names that
look the same (case, or accents as macOS writes them)."""

from __future__ import annotations

import json
import os
import shutil
import unicodedata

from photos import make_photo

from trainer.album_notes import similar_names_note
from trainer.albums import Manifest, prepare, scan_albums
from trainer.cli import main


def test_the_same_photo_in_two_albums_is_one_photo_in_one_split(albums):
    """A copy, a hard link or a symlink: one photo with both labels, so it cannot be in the
    training set and among the held-out photos at once (the evaluation would see it learnt)."""
    cat = albums / "cats" / "chelsea-0.jpg"
    shutil.copy(cat, albums / "space" / "copy.jpg")
    os.link(albums / "cats" / "chelsea-1.jpg", albums / "space" / "hard-link.jpg")
    (albums / "microscopy" / "link.jpg").symlink_to(albums / "cats" / "chelsea-2.jpg")
    m = prepare(albums)
    assert len(m.photos) == 15 and len({p.fingerprint for p in m.photos}) == 15
    assert sorted(sorted(m.labels[i] for i in p.labels) for p in m.photos
                  if len(p.labels) > 1) == [["cats", "microscopy"], ["cats", "space"],
                                            ["cats", "space"]]


def test_a_folder_linked_into_an_album_is_read_and_a_link_round_a_loop_is_not(albums,
                                                                             tmp_path):
    """The app's walk follows a link to a folder; the trainer's left it out unsaid."""
    trip = tmp_path / "elsewhere" / "trip"
    for k in range(2):
        make_photo(trip / f"t{k}.jpg", "coffee", size=(96 + 8 * k, 80))
    (albums / "cats" / "trip").symlink_to(trip)
    (albums / "cats" / "again").symlink_to(albums / "cats")  # a loop
    (albums / "space" / "everything").symlink_to(albums)  # every album, labelled 'space'
    (albums / "space" / "twice").symlink_to(albums / "space" / "..")  # the same, by name
    scan = scan_albums(albums)
    assert scan.per_label() == {"cats": 5, "microscopy": 6, "space": 6}
    assert scan.copies == 0
    assert str((trip / "t0.jpg").resolve()) in [p.path for p in scan.photos]


def test_a_link_back_to_the_albums_folder_is_a_loop_also_from_a_linked_album(albums,
                                                                           tmp_path):
    """An album that is a link to a folder elsewhere: a link in it to the albums folder is not
    below the album on disk, yet walking it gives every album's photos this album's label."""
    trips = tmp_path / "elsewhere" / "trips"
    make_photo(trips / "t0.jpg", "coffee", size=(96, 80))
    (trips / "all").symlink_to(albums)
    (albums / "trips").symlink_to(trips)
    scan = scan_albums(albums)
    assert scan.per_label() == {"cats": 3, "microscopy": 6, "space": 6, "trips": 1}


def test_a_junction_round_a_loop_is_not_walked(albums, monkeypatch):
    """On Windows os.path.islink says False of a junction (mklink /J), which os.walk and
    os.stat follow: a junction to the albums folder is a loop all the same."""
    (albums / "space" / "everything").symlink_to(albums)
    monkeypatch.setattr(os.path, "islink", lambda path: False)  # as of a junction
    scan = scan_albums(albums)
    assert scan.per_label() == {"cats": 3, "microscopy": 6, "space": 6}


def test_an_album_whose_one_photo_cannot_be_read_says_it_could_not(albums, capsys):
    (albums / "broken").mkdir()
    (albums / "broken" / "x.jpg").write_bytes(b"not a photo")
    assert main(["inspect", str(albums)]) == 0
    assert (f"{albums / 'broken'}: its photo could not be read (named above)"
            in capsys.readouterr().out)


def test_sidecar_files_are_not_counted_as_pictures_to_save_as_jpeg(albums, capsys):
    clips = albums / "clips"  # (a camera raw file is a photo now: test_albums_camera_raw.py)
    clips.mkdir()
    for name in ("IMG_1.MOV", "IMG_1.xmp", "IMG_1.AAE", "IMG_1.MOV.json"):
        (clips / name).write_bytes(b"...")
    (albums / "edits").mkdir()
    (albums / "edits" / "IMG_2.xmp").write_text("<x:xmpmeta/>")
    out = (main(["inspect", str(albums)]), capsys.readouterr().out)[1]
    assert (f"{clips}: it holds only 1 file that is not photos Lookalike reads (1 .mov): save "
            "them as JPEG") in out
    assert f"{albums / 'edits'}: it holds no photos" in out


def test_albums_that_look_alike_by_name_are_said_to_be_two_labels(albums, tmp_path, caplog):
    for name in ("Café", "Cats"):
        for form, seed_photo in (("NFC", "coffee"), ("NFD", "rocket")):
            folder = albums / unicodedata.normalize(form, name if form == "NFC" else
                                                    name.lower())
            for k in range(3):
                make_photo(folder / f"{form}-{k}.jpg", seed_photo, size=(80 + 8 * k, 96))
    assert main(["prepare", str(albums), "--out", str(tmp_path / "run"),
                 "--progress", "none"]) == 0
    nfd = unicodedata.normalize("NFD", "café")  # as the Mac wrote it
    assert (f"albums 'Café' and '{nfd}' (accents written apart, as macOS writes names) differ "
            "only in case and in how their accents are written; albums 'Cats' and 'cats' "
            "differ only in upper and lower case: each is a label of its own, so the model "
            "learns to set their photos apart; if they are one subject, move the photos of one "
            f"into the other (in {albums})") in caplog.text
    labels = json.loads((tmp_path / "run" / "manifest.json").read_text())["labels"]
    assert labels[:4] == ["Café", "Cats", nfd, "cats"]  # said, not merged on a guess


def test_albums_of_one_name_in_two_unicode_forms_are_named(albums, tmp_path, caplog):
    for form in ("NFD", "NFC"):
        for k in range(3):
            make_photo(albums / unicodedata.normalize(form, "Café") / f"{form}-{k}.jpg",
                       "coffee" if form == "NFC" else "hubble_deep_field", size=(80 + 8 * k, 96))
    assert main(["prepare", str(albums), "--out", str(tmp_path / "run"),
                 "--progress", "none"]) == 0
    nfd = unicodedata.normalize("NFD", "Café")  # sorts first: e before é
    assert (f"albums '{nfd}' (accents written apart, as macOS writes names) and 'Café' are one "
            "name in two Unicode forms: each is a label of its own") in caplog.text


def test_names_that_differ_in_spelling_are_not_said_to_differ_only_in_case():
    """casefold() makes 'ß' 'ss' and 'ﬁ' 'fi': 'Straße' and 'Strasse' are two spellings."""
    manifest = Manifest(root="/albums", labels=["Strasse", "Straße", "fish", "ﬁsh", "STRASSE"],
                        photos=[], seed=0, fingerprint="")
    assert similar_names_note(manifest) == (
        "albums 'Strasse' and 'STRASSE' differ only in upper and lower case: each is a label "
        "of its own, so the model learns to set their photos apart; if they are one subject, "
        "move the photos of one into the other (in /albums)")
