"""The trainer reads an album holding a photo app's library as the app indexes it: the originals
only, not their thumbnails and previews (copies that would count each photo 3 to 5 times)."""

from __future__ import annotations

import os

from photos import make_photo

from desktop_app.core import scan
from trainer.album_files import SYSTEM_FOLDERS_WORDS, AlbumsFolder, list_album
from trainer.albums import scan_albums


def test_an_album_holding_a_photos_library_gives_its_originals_once(tmp_path):
    album = tmp_path / "albums" / "mac"
    package = album / "Photos Library.photoslibrary"
    make_photo(package / "originals" / "4" / "4A1B-CAT.jpeg", "chelsea")
    make_photo(package / "resources" / "derivatives" / "4" / "4A1B-CAT_1_105_c.jpeg", "chelsea",
               size=(96, 64))
    make_photo(package / "private" / "caches" / "4A1B-CAT.jpg", "chelsea", size=(64, 64))
    make_photo(album / "loose.jpg", "rocket")
    listing = list_album(album)
    assert listing.photos == [album / "loose.jpg", package / "originals" / "4" / "4A1B-CAT.jpeg"]
    assert listing.skipped == [str(package / "private"), str(package / "resources")]
    # The app's walk of the same folder finds the same photos.
    assert [f.path for f in scan.scan_folder(album).files] == sorted(map(str, listing.photos))
    assert "photo apps' previews" in SYSTEM_FOLDERS_WORDS


def test_an_albums_folder_inside_a_library_has_its_originals_for_album(tmp_path):
    package = tmp_path / "Aperture Library.aplibrary"
    make_photo(package / "Masters" / "2014" / "a.jpg", "cat")
    make_photo(package / "Previews" / "2014" / "a.jpg", "cat", size=(64, 64))
    make_photo(package / "cover.jpg", "cat", size=(64, 64))
    albums, skipped, loose = AlbumsFolder(package).top()
    assert [os.fspath(a) for a in albums] == [str(package / "Masters")]
    assert skipped == [str(package / "Previews")] and loose == 0


def test_an_album_whose_library_holds_only_previews_says_they_were_left_out(tmp_path):
    # Photos' "Optimize Mac Storage": the originals are in iCloud, only previews are on the Mac.
    albums = tmp_path / "albums"
    for i, name in enumerate(("chelsea", "coffee", "rocket")):
        make_photo(albums / "cats" / f"{i}.jpg", name)
        make_photo(albums / "trips" / f"{i}.jpg", name, size=(90 + i, 70))
    package = albums / "mac" / "Photos Library.photoslibrary"
    (package / "originals" / "4").mkdir(parents=True)
    make_photo(package / "resources" / "derivatives" / "4" / "4A1B_1_105_c.jpeg", "chelsea",
               size=(96, 64))
    (albums / "empty").mkdir()
    reasons = scan_albums(albums).empty_reasons
    assert reasons[str(albums / "mac")].startswith(
        "it holds no photos outside 1 folder of thumbnails and recycle bins")
    assert "left out (listed among the skipped folders)" in reasons[str(albums / "mac")]
    assert reasons[str(albums / "empty")] == "it holds no photos"


def test_an_albums_folder_given_as_dot_inside_a_library_is_read_by_its_rule(tmp_path,
                                                                           monkeypatch):
    # "." names no suffix: the rule goes by the folder's name on disk, as the app's walk does.
    package = tmp_path / "Aperture Library.aplibrary"
    make_photo(package / "Masters" / "2014" / "a.jpg", "cat")
    make_photo(package / "Previews" / "2014" / "a.jpg", "cat", size=(64, 64))
    monkeypatch.chdir(package)
    albums, skipped, _loose = AlbumsFolder(".").top()
    assert [os.fspath(a) for a in albums] == ["Masters"] and skipped == ["Previews"]
    monkeypatch.chdir(package / "Masters")
    albums, skipped, _loose = AlbumsFolder("..").top()
    assert [os.fspath(a) for a in albums] == ["../Masters"] and skipped == ["../Previews"]
