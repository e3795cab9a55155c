"""Big decodes take turns (images._one_big_at_a_time): a JPEG decoded by DCT scaling to a picture
as big as a big one made whole (the preview zoomed to 100% of a 100 MP photo) waits its turn
too; scaled small (the indexer's and the thumbnails' decodes) it does not. Real JPEG files,
real decodes on threads of their own."""

from __future__ import annotations

import threading

import pytest
from photos import make_photo

from desktop_app.core import images
from desktop_app.core.images import load_picture


@pytest.fixture
def big_jpeg(tmp_path, monkeypatch):
    """A 1600 x 1200 baseline JPEG (1.92 MP), with a big decode made 1 MP here."""
    monkeypatch.setattr(images, "BIG_PIXELS", 1_000_000)
    return make_photo(tmp_path / "big.jpg", "coffee", size=(1600, 1200))


def decoded_while_a_big_one_runs(path, side: int) -> bool:
    """Does a decode of `path` to at least `side` pixels both ways end while another thread
    holds the big decodes' turn? (It ends once the turn is given back, either way.)"""
    done = []
    with images._big_decode:  # a big picture being decoded on another thread
        thread = threading.Thread(target=lambda: done.append(
            load_picture(path, min_size=(side, side))))
        thread.start()
        thread.join(1.0)
        ended = not thread.is_alive()
    thread.join(60)
    assert done and done[0][1:] == (1600, 1200)
    return ended


def test_a_jpeg_decoded_as_big_as_a_big_picture_waits_its_turn(big_jpeg):
    """The preview at 100% asks for the photo's short side: decoded whole (1.92 MP), it took
    no turn, a 100 MP JPEG's decode piled up with the indexer's big ones."""
    assert not decoded_while_a_big_one_runs(big_jpeg, 1200)
    assert not decoded_while_a_big_one_runs(big_jpeg, 601)  # 1/2 would be 800 x 600: whole


def test_a_jpeg_decoded_small_does_not_wait(big_jpeg):
    assert decoded_while_a_big_one_runs(big_jpeg, 600)  # 800 x 600
    assert decoded_while_a_big_one_runs(big_jpeg, 224)  # the indexer's: 200 x 150
