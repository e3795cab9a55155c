"""Drops and pastes as other programs make them (a file manager's several files or its
percent-encoded names, a terminal's quoted path, a browser's image, Lookalike's own Copy path),
in the real window offscreen with real photos, SQLite and the tiny real ONNX model."""

from __future__ import annotations

import os
import shlex
from urllib.parse import quote_from_bytes

import pytest
from photos import make_photo
from PySide6.QtCore import QByteArray, QMimeData, QUrl
from PySide6.QtGui import QGuiApplication, QImage
from ui_helpers import drop_on, dropped_files, header, indexed

from desktop_app.ui import file_actions
from desktop_app.ui.dropped import shell_unquoted

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint)


@pytest.fixture
def window(qtbot, make_window, library_photos):
    return indexed(qtbot, make_window, library_photos, 6)


def searched(qtbot, window, mime, paste: bool = False) -> list:
    """Drop (or paste) `mime` on the window: the results it gives."""
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        if paste:
            QGuiApplication.clipboard().setMimeData(mime)
            window.paste()
        else:
            drop_on(window.grid.viewport(), mime)
    return blocker.args[0]


def pasted_text(text: str) -> QMimeData:
    mime = QMimeData()
    mime.setText(text)
    return mime


def test_of_several_photos_dropped_the_first_is_searched_and_said(qtbot, window,
                                                                  library_photos, tmp_path):
    """Three photos dropped at once: the first was searched, and nothing said that the
    others were left out."""
    rocket = make_photo(tmp_path / "out" / "a rocket.jpg", "rocket", size=(300, 400))
    coffee = make_photo(tmp_path / "out" / "b coffee.jpg", "coffee", size=(300, 200))
    matches = searched(qtbot, window, dropped_files(rocket, coffee, library_photos / "hubble.jpg"))
    assert matches[0].path == str(library_photos / "rocket.jpg")
    assert window.statusBar().currentMessage() == (
        "Searching with a rocket.jpg, the first of the 3 photos given: Lookalike searches with "
        "one photo at a time.")
    notes = tmp_path / "out" / "notes.txt"
    notes.write_text("not a photo")
    matches = searched(qtbot, window, dropped_files(notes, coffee))
    assert matches[0].path == str(library_photos / "coffee.jpg")
    assert window.statusBar().currentMessage() == (
        "Searching with b coffee.jpg, the only photo among the 2 files given.")
    # One photo: nothing to say.
    searched(qtbot, window, dropped_files(rocket))
    assert window.statusBar().currentMessage() == ""


def test_several_pasted_paths_search_the_first_photo(qtbot, window, library_photos, tmp_path):
    """Paths copied one a line (a terminal, a file manager's "copy path" of two files) were
    answered "Drop or paste a photo file…", though they named photos."""
    rocket = make_photo(tmp_path / "out" / "rocket.jpg", "rocket", size=(300, 400))
    text = f"{rocket}\n{library_photos / 'coffee.jpg'}\n"
    matches = searched(qtbot, window, pasted_text(text), paste=True)
    assert matches[0].path == str(library_photos / "rocket.jpg")
    assert window.statusBar().currentMessage().startswith(
        "Searching with rocket.jpg, the first of the 2 photos given")


def test_a_name_that_is_not_utf8_dropped_from_a_file_manager_is_searched(qtbot, window,
                                                                         library_photos,
                                                                         tmp_path):
    """A file manager percent-encodes its bytes (caf%E9.jpg); Qt read them as U+FFFD, a name
    no file has: "caf\ufffd.jpg cannot be read: the file no longer exists"."""
    raw = os.fsencode(tmp_path) + b"/caf\xe9.jpg"
    with open(raw, "wb") as f:
        f.write((library_photos / "coffee.jpg").read_bytes())
    uri_list = b"file://" + quote_from_bytes(raw).encode() + b"\r\n"
    mime = QMimeData()
    mime.setData("text/uri-list", QByteArray(uri_list))
    matches = searched(qtbot, window, mime)
    assert matches[0].path == str(library_photos / "coffee.jpg")
    assert header(window).startswith("Photos like caf\\xe9.jpg (not in the library)")
    # Pasted as a file:// URL: the same.
    window.search.clear()
    matches = searched(qtbot, window, pasted_text(uri_list.decode()), paste=True)
    assert matches[0].path == str(library_photos / "coffee.jpg")
    assert header(window).startswith("Photos like caf\\xe9.jpg (not in the library)")


def test_lookalikes_own_copy_path_and_a_terminals_escapes_paste_back(qtbot, window,
                                                                    library_photos, tmp_path):
    """Copy path quotes a name that is not UTF-8 for a shell ($'…\\xe9…'); pasted back into
    Lookalike it was "Drop or paste a photo file…". A terminal's a\\ b was "no such file"."""
    raw = os.fsencode(tmp_path) + b"/my rocket \xe9.jpg"
    with open(raw, "wb") as f:
        f.write(make_photo(tmp_path / "r.jpg", "rocket", size=(300, 400)).read_bytes())
    copied = file_actions.copy_path(os.fsdecode(raw))
    assert copied.startswith("$'")
    matches = searched(qtbot, window, pasted_text(copied), paste=True)
    assert matches[0].path == str(library_photos / "rocket.jpg")
    spaced = make_photo(tmp_path / "my coffee.jpg", "coffee", size=(300, 200))
    escaped = str(spaced).replace(" ", "\\ ")
    matches = searched(qtbot, window, pasted_text(escaped + "\n"), paste=True)
    assert matches[0].path == str(library_photos / "coffee.jpg")


def test_a_terminals_line_of_several_quoted_paths_searches_the_first(qtbot, window,
                                                                      library_photos, tmp_path):
    """Files dragged onto a terminal are written on one line, each quoted: pasted back, the
    quotes at both ends were taken off as if it were one path, "/p/rocket.jpg' '/p/coffee.jpg:
    there is no such file", of two files that are there. A name holding $' was misread too
    (its $ inside the quotes taken for $'...')."""
    rocket = make_photo(tmp_path / "out" / "my rocket.jpg", "rocket", size=(300, 400))
    coffee = library_photos / "coffee.jpg"
    matches = searched(qtbot, window, pasted_text(f"'{rocket}' '{coffee}' "), paste=True)
    assert matches[0].path == str(library_photos / "rocket.jpg")
    assert window.statusBar().currentMessage().startswith(
        "Searching with my rocket.jpg, the first of the 2 photos given")
    dollar = make_photo(tmp_path / "out" / "cost $'5'.jpg", "coffee", size=(300, 200))
    quoted = "'" + str(dollar).replace("'", "'\\''") + "'"  # as GNU ls and a terminal write it
    matches = searched(qtbot, window, pasted_text(quoted), paste=True)
    assert matches[0].path == str(coffee)
    assert header(window).startswith("Photos like cost $'5'.jpg (not in the library)")


@pytest.mark.parametrize("how", ["dropped", "pasted"])
def test_image_data_is_named_as_such_in_the_header(qtbot, window, library_photos, how):
    """A browser's image, a screenshot: the header said "Photos like
    pasted-1796158145854896511.png", the name of the copy kept in the cache."""
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/rocket.jpg")])  # as a browser's drag has it
    mime.setImageData(QImage(str(library_photos / "rocket.jpg")).scaledToWidth(200))
    matches = searched(qtbot, window, mime, paste=how == "pasted")
    assert matches[0].path == str(library_photos / "rocket.jpg")
    assert header(window).startswith(f"Photos like the {how} image (not in the library)")
    assert window.results_panel.query_label.toolTip().endswith(".png")  # where it is kept


def test_a_missing_file_dropped_is_passed_over_or_said(qtbot, window, library_photos,
                                                       tmp_path):
    """A file dropped that is not there (deleted since the file manager listed it) was taken
    as the photo, before a real one dropped with it: "gone.jpg cannot be read"."""
    gone = tmp_path / "gone.jpg"
    searched(qtbot, window, dropped_files(gone, library_photos / "rocket.jpg"))
    assert header(window).startswith("Photos like rocket.jpg")
    drop_on(window.grid.viewport(), dropped_files(gone))
    assert window.statusBar().currentMessage().startswith(f"{gone}: there is no such file")


def test_a_web_address_dropped_says_nothing_is_downloaded(qtbot, window):
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/cat.jpg")])
    mime.setText("https://example.com/cat.jpg")
    drop_on(window.grid.viewport(), mime)
    assert window.statusBar().currentMessage() == (
        "Only photos on this computer can be searched (Lookalike downloads nothing): save the "
        "photo first, then drop the saved file.")
    assert window.results_model.rowCount() == 0


@pytest.mark.parametrize("name", [b"caf\xe9.jpg", b"new\nline 'quoted'.jpg",
                                  "photo\u202egpj.jpg".encode(), b"a\\b.jpg", b"plain.jpg"])
def test_shell_unquoted_reads_back_what_copy_path_quoted(name):
    path = os.fsdecode(b"/photos/" + name)
    assert shell_unquoted(file_actions.shell_quoted(path)) == path


def test_shell_unquoted_reads_a_terminals_words_and_refuses_two():
    assert shell_unquoted("/p/my\\ photo.jpg") == "/p/my photo.jpg"
    assert shell_unquoted("'/p/it'\\''s.jpg'") == "/p/it's.jpg"
    assert shell_unquoted("/p/'caf'$'\\351''.jpg'") == os.fsdecode(b"/p/caf\xe9.jpg")  # GNU ls
    assert shell_unquoted("/p/a.jpg /p/b.jpg") is None
    assert shell_unquoted("'/p/unclosed.jpg") is None
    # $' inside other quotes is two plain characters, not the start of $'...'.
    assert shell_unquoted("'/p/a$'\\''b.jpg'") == "/p/a$'b.jpg"
    assert shell_unquoted(shlex.quote("/p/cost $'5'.jpg")) == "/p/cost $'5'.jpg"
    assert shell_unquoted("\"/p/a$'b'.jpg\"") == "/p/a$'b'.jpg"
    assert shell_unquoted("/p/a\\$'b'.jpg") == "/p/a$b.jpg"
