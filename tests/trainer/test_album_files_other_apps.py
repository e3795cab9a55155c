"""The trainer reads an album holding a photo app's library as the app indexes it: the originals
only, not their thumbnails and previews (copies that would count each photo 3 to 5 times)."""

from __future__ import annotations

import os

from photos import make_photo

from desktop_app.core import scan
from trainer.album_files import SYSTEM_FOLDERS_WORDS, AlbumsFolder, list_album


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
