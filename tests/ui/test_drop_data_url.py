"""A web page's picture dragged or copied as a data: URL (data:image/png;base64,...) is the
picture itself: searched from memory like a browser's image data; in the real window offscreen
with real PNG and JPEG bytes, SQLite and the tiny real ONNX model."""

from __future__ import annotations

import base64
import io
import os

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QGuiApplication, QImageReader
from ui_helpers import drop_on, header, indexed

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint)


@pytest.fixture
def window(qtbot, make_window, library_photos):
    return indexed(qtbot, make_window, library_photos, 6)


@pytest.fixture
def small_allocation_limit():
    """Qt's limit on image data read (256 MB by default) at 1 MB, so a small image is over it."""
    before = QImageReader.allocationLimit()
    QImageReader.setAllocationLimit(1)
    yield
    QImageReader.setAllocationLimit(before)


def data_url(image: Image.Image, fmt: str) -> str:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(buf.getvalue()).decode()


def as_browser_drags(url: str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl(url)])  # its text is the URL too
    return mime


def pasted(text: str) -> QMimeData:
    mime = QMimeData()
    mime.setText(text)
    return mime


def said(window, mime, paste: bool = False) -> str:
    if paste:
        QGuiApplication.clipboard().setMimeData(mime)
        window.paste()
    else:
        drop_on(window.grid.viewport(), mime)
    return window.statusBar().currentMessage()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_an_image_dropped_as_a_data_url_is_searched(qtbot, window, library_photos, fmt):
    """It was answered "Only photos on this computer can be searched (Lookalike downloads
    nothing)", though nothing has to be downloaded."""
    url = data_url(Image.open(library_photos / "rocket.jpg").reduce(2), fmt)
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        drop_on(window.grid.viewport(), as_browser_drags(url))
    assert blocker.args[0][0].path == str(library_photos / "rocket.jpg")
    assert header(window).startswith("Photos like the dropped image (not in the library)")


def test_a_data_url_pasted_as_text_is_searched(qtbot, window, library_photos):
    url = data_url(Image.open(library_photos / "coffee.jpg"), "JPEG")
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        QGuiApplication.clipboard().setMimeData(pasted(url))
        window.paste()
    assert blocker.args[0][0].path == str(library_photos / "coffee.jpg")
    assert header(window).startswith("Photos like the pasted image (not in the library)")


def test_a_data_url_that_is_no_image_or_broken_is_one_sentence(window):
    assert said(window, as_browser_drags("data:text/html,<b>Hello</b>")) == (
        "The dropped data: URL holds text/html, not an image: drop or paste a photo file or an "
        "image to search with it.")
    assert said(window, pasted("data:,just text"), paste=True) == (
        "The pasted data: URL holds text/plain, not an image: drop or paste a photo file or an "
        "image to search with it.")
    assert said(window, as_browser_drags("data:image/png;base64,iVBOR!!w0KGgo")) == (
        "The dropped image's data: URL is damaged (its base64 text does not decode): save the "
        "image as a file, then drop or paste the saved file.")
    assert said(window, pasted("data:image/png;base64"), paste=True) == (
        "The pasted data: URL is damaged (no comma before its data): drop or paste a photo file "
        "or an image to search with it.")
    not_a_picture = base64.b64encode(b"an error page, not a picture").decode()
    message = said(window, as_browser_drags(f"data:image/jpeg;base64,{not_a_picture}"))
    assert message.startswith("The dropped image (image/jpeg in a data: URL) could not be read (")
    assert message.endswith("): save it as a file, then drop or paste the saved file.")
    assert window.results_model.rowCount() == 0


def test_a_data_url_image_over_the_image_data_limit_is_refused(window, small_allocation_limit):
    """The limit any image data dropped has (Qt's allocation limit): a small PNG of many
    pixels is not decoded into gigabytes."""
    many_pixels = data_url(Image.new("RGB", (600, 600), "white"), "PNG")
    assert said(window, as_browser_drags(many_pixels)) == (
        "The dropped image (a data: URL) is 600x600 pixels, over the 0.262-megapixel limit for "
        "image data: save it as a file, then drop or paste the saved file.")
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    assert said(window, pasted(data_url(noise, "PNG")), paste=True) == (
        "The pasted image (a data: URL of 1.4 MB) is larger than the 1 MB Lookalike takes as "
        "image data: save it as a file, then drop or paste the saved file.")
    assert window.results_model.rowCount() == 0
