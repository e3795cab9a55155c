"""printable(): names shown to the user say which file they are, whatever characters they hold."""

from __future__ import annotations

import os

import pytest

from desktop_app.core.errors import PhotoReadError, printable

BIDI_CONTROLS = ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d",
                 "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def test_a_right_to_left_override_is_shown_escaped_not_obeyed():
    """"photo\\u202egpj.exe" was shown as it is: the override turned it round on screen to
    read "photoexe.jpg", a photo, where the file is a program."""
    assert printable("/home/a/photo\u202egpj.exe") == "/home/a/photo\\u202egpj.exe"


@pytest.mark.parametrize("control", BIDI_CONTROLS)
def test_every_bidirectional_control_is_escaped(control):
    assert printable(f"a{control}b.jpg") == f"a\\u{ord(control):04x}b.jpg"


def test_right_to_left_names_and_other_text_are_kept_as_they_are():
    # Hebrew and Arabic letters show right to left by themselves: only the controls go.
    for name in ("תמונה.jpg", "صورة.jpg", "café.jpg", "photo 1.jpg", "写真.png"):
        assert printable(name) == name


def test_bidi_controls_with_bytes_that_are_not_utf8():
    name = "caf" + os.fsdecode(b"\xe9") + "\u2067.jpg"
    assert printable(name) == "caf\\xe9\\u2067.jpg"


def test_error_messages_escape_them_too():
    error = PhotoReadError("/p/photo\u202egpj.exe", "cannot identify image file")
    assert str(error) == "/p/photo\\u202egpj.exe: cannot identify image file."


@pytest.mark.parametrize("mark", ["\ufeff", "\ufffe"])
def test_a_byte_order_mark_in_a_name_is_escaped(mark):
    """Qt (PySide) takes either at the start of a text for a byte order mark: "\\ufeffzz.jpg"
    showed as "zz.jpg", and "\\ufffeab.jpg" byte-swapped, as ideographs, in the grid."""
    assert printable(f"{mark}zz.jpg") == f"\\u{ord(mark):04x}zz.jpg"
    assert printable(f"/p/a{mark}b.jpg") == f"/p/a\\u{ord(mark):04x}b.jpg"


def test_a_name_starting_with_a_byte_order_mark_shows_whole_in_a_qt_label(qapp):
    from PySide6.QtWidgets import QLabel

    label = QLabel(printable("\ufffeab.jpg"))
    assert label.text() == "\\ufffeab.jpg"
