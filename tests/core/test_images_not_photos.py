"""Files with a photo's name that are something else get a message saying what they are and
what to do, not "unknown or damaged format, open it in an image viewer"."""

from __future__ import annotations

import os

import numpy as np
import pytest

from desktop_app.core import images

PAGE = (b"<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head>"
        b"<body><h1>Sign in to see this photo</h1></body></html>\n")


def _error(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(images.PhotoReadError) as caught:
        images.load_photo(path, min_size=(224, 224))
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and message.endswith(".")
    return message


def test_a_saved_web_page_is_called_one(tmp_path):
    for name, data in (("IMG_2031.jpg", PAGE), ("bom.JPEG", b"\xef\xbb\xbf  " + PAGE.lower()),
                       ("comment.png", b"<!-- cached -->\n<html lang=en><body></body></html>")):
        message = _error(tmp_path, name, data)
        assert "web page (HTML), not an image" in message, name
        assert message.endswith("Download the photo again, or delete this file."), name


def test_text_and_zeroed_files_are_called_what_they_are(tmp_path):
    note = _error(tmp_path, "note.png", "Ferien 2024 – Fotos folgen\n".encode() * 400)
    assert "a text file, not an image" in note and "(such as .txt)" in note
    drawing = _error(tmp_path, "logo.png", b'<?xml version="1.0"?>\n<svg xmlns="x"></svg>')
    assert "an SVG drawing" in drawing and "Export it as PNG or JPEG" in drawing
    zeroed = _error(tmp_path, "lost.heic", bytes(300_000))
    assert "only zero bytes" in zeroed and "restore it from a backup" in zeroed
    # Anything else keeps the general words.
    noise = _error(tmp_path, "noise.jpg", np.random.default_rng(0).bytes(5000))
    assert "not an image Lookalike can read (unknown or damaged format)" in noise
    assert not images._is_text(b"\x89PNG\r\n\x1a\n" + bytes(20))


def test_indexing_records_what_each_file_is(library, tmp_path, photo_factory):
    photo_factory("mixed/cat.jpg", "chelsea")
    (tmp_path / "mixed" / "download.jpg").write_bytes(PAGE)
    (tmp_path / "mixed" / "readme.JPG").write_text("These are the holiday photos.\n")
    report = library.index_folder(tmp_path / "mixed")
    assert (report.added, report.failed) == (1, 2)
    errors = {os.path.basename(p.path): p.error for p in library.failed()}
    assert "web page (HTML)" in errors["download.jpg"]
    assert "text file" in errors["readme.JPG"]
