"""What the window shows is what is searched, in every format: thumbnails upright and in
proportion, and the code of a photo dropped from outside (or given to `lookalike similar`) is
the code stored for it. Real photo files, the real window and the tiny real model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
from photos import exif_bytes, make_photo, sample_image, stored_turned
from PIL import Image, features
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QImage
from ui_helpers import wait_idle, wait_rows

from desktop_app.core.hashing import hamming_distances


def write_every_kind(folder) -> dict[str, Image.Image]:
    """Photo files of every kind the app reads, each with the picture a viewer shows for it."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    folder.mkdir(parents=True, exist_ok=True)
    cat = sample_image("chelsea").resize((240, 160))
    shown: dict[str, Image.Image] = {}

    def save(name, image, picture, **options):
        image.save(folder / name, **options)
        shown[name] = picture.convert("RGB")

    for orientation in range(1, 9):
        save(f"turned{orientation}.jpg", stored_turned(cat, orientation), cat, quality=92,
             exif=exif_bytes(orientation))
    save("progressive.jpg", cat, cat, quality=92, progressive=True)
    save("cmyk.jpg", cat.convert("CMYK"), cat, quality=95)
    save("gray.jpg", cat.convert("L"), cat.convert("L"), quality=92)
    rgba = np.asarray(cat.convert("RGBA")).copy()
    rgba[:, :120, 3] = 0  # left half transparent: shown (and searched) on white
    on_white = rgba.copy()
    on_white[:, :120, :3] = 255
    save("alpha.png", Image.fromarray(rgba), Image.fromarray(on_white[..., :3]))
    palette = cat.convert("P", palette=Image.Palette.ADAPTIVE)
    save("palette.gif", palette, palette)
    first = Image.new("RGB", (240, 160), (255, 0, 0))
    first.paste(cat.resize((120, 80)), (0, 0))
    later = [Image.new("RGB", (240, 160), c) for c in ((0, 255, 0), (0, 0, 255))]
    for name in ("animated.gif", "animated.webp"):  # the first frame, as file managers show
        picture = first.convert("P", palette=Image.Palette.ADAPTIVE) if name.endswith("gif") \
            else first
        save(name, first, picture, save_all=True, append_images=later, duration=100, loop=0,
             **({"lossless": True} if name.endswith("webp") else {}))
    deep = Image.fromarray(np.asarray(cat.convert("L"), np.uint16) * 257)
    save("gray16.png", deep, cat.convert("L"))
    save("pages.tif", cat, cat, save_all=True, append_images=[Image.new("RGB", (240, 160))])
    save("turned6.tif", stored_turned(cat, 6), cat, exif=exif_bytes(6))
    save("turned6.webp", stored_turned(cat, 6), cat, quality=92, exif=exif_bytes(6))
    save("turned6.png", stored_turned(cat, 6), cat, exif=exif_bytes(6))
    # HEIC keeps the turn in its own box (irot); pillow-heif writes it from the EXIF tag.
    save("turned6.heic", stored_turned(cat, 6), cat, quality=90, exif=exif_bytes(6))
    if features.check("avif"):
        save("turned6.avif", stored_turned(cat, 6), cat, quality=90, exif=exif_bytes(6))
    wide = sample_image("coffee").resize((6000, 200))
    save("panorama.jpg", wide, wide, quality=90)
    tiny = cat.resize((8, 8))
    save("tiny.png", tiny, tiny)
    return shown


def on_screen(pixmap) -> Image.Image:
    """The picture drawn in a grid cell: the opaque part of the square thumbnail pixmap."""
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGBA8888)
    rows = np.frombuffer(bytes(image.constBits()), np.uint8).reshape(image.height(), -1)
    rgba = rows[:, :4 * image.width()].reshape(image.height(), image.width(), 4)
    ys, xs = np.nonzero(rgba[..., 3])
    return Image.fromarray(rgba[ys.min():ys.max() + 1, xs.min():xs.max() + 1, :3].copy())


def mean_difference(seen: Image.Image, expected: Image.Image) -> float:
    expected = expected.resize(seen.size, Image.Resampling.BOX)
    return float(np.abs(np.asarray(seen, np.int16) - np.asarray(expected, np.int16)).mean())


def thumbnail_of(qtbot, window, path) -> Image.Image:
    qtbot.waitUntil(lambda: window.thumbnails.pixmap(str(path)) is not None, timeout=10000)
    return on_screen(window.thumbnails.pixmap(str(path)))


def drop(qtbot, window, path) -> list:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.search.search_mime(mime)
    return blocker.args[0]


def test_every_kind_of_photo_is_shown_upright_and_searched_as_shown(qtbot, make_window,
                                                                    tmp_path):
    library = tmp_path / "library"
    shown = write_every_kind(library)
    window = make_window()
    window.add_folder(str(library))
    wait_rows(qtbot, window, len(shown))
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(window.snapshot) == len(shown), timeout=20000)
    edge = window.thumbnails._pixel_edge
    ids = {os.path.basename(p): i for i, p in window.snapshot.paths.items()}
    codes = {name: window.snapshot.index.code_of(ids[name]) for name in shown}
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    for name, picture in shown.items():
        # (1) The thumbnail: the picture a viewer shows, upright, in proportion.
        seen = thumbnail_of(qtbot, window, library / name)
        expected = picture.copy()
        expected.thumbnail((edge, edge))
        assert abs(seen.width - expected.width) <= 1, name
        assert abs(seen.height - expected.height) <= 1, name
        assert mean_difference(seen, expected) < 12, name  # turned or mirrored: 30 and more
        # (2) Dropped from elsewhere: encoded to exactly its stored code.
        copy = shutil.copy2(library / name, outside / name)
        matches = drop(qtbot, window, copy)
        assert (str(library / name), 0) in [(m.path, m.distance) for m in matches], name
        assert np.array_equal(window.search._query.code[1], codes[name]), name

    # (2) `lookalike similar` from outside the library finds each photo at distance 0.
    done = subprocess.run([sys.executable, "-m", "desktop_app", "--no-progress", "similar",
                           "--json", "-k", "100", *sorted(map(str, outside.iterdir()))],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for result in json.loads(done.stdout)["results"]:
        name = os.path.basename(result["query"])
        assert not result["in_library"], name
        assert {"path": str(library / name), "distance": 0} in [
            {"path": m["path"], "distance": m["distance"]} for m in result["matches"]], name

    # (3) The same picture stored turned, with the EXIF tag that turns it back: the same code,
    # within JPEG's recompression of turned pixels.
    upright = codes["turned1.jpg"]
    for name in [n for n in shown if n.startswith("turned")]:
        assert int(hamming_distances(upright, codes[name][None])[0]) <= 4, name


def two_photos(folder, first: str, second: str):
    """a.jpg and b.jpg in `folder`: two sample pictures, 300x200."""
    return (make_photo(folder / "a.jpg", first, size=(300, 200)),
            make_photo(folder / "b.jpg", second, size=(300, 200)))


def window_on(qtbot, make_window, folder, rows: int):
    """A window with `folder` added and its `rows` photos indexed."""
    window = make_window()
    window.add_folder(str(folder))
    wait_rows(qtbot, window, rows)
    wait_idle(qtbot, window)
    return window


def test_an_edited_photo_gets_a_new_thumbnail_not_the_cached_one(qtbot, make_window, tmp_path):
    from desktop_app.ui.thumbnails import ThumbnailCache

    photo, _ = two_photos(tmp_path / "library", "chelsea", "rocket")
    window = window_on(qtbot, make_window, photo.parent, 2)
    thumbnail_of(qtbot, window, photo)
    before = os.stat(photo).st_mtime_ns
    make_photo(photo, "coffee", size=(300, 200))  # edited in place: new content, new mtime
    os.utime(photo, ns=(before + 2_000_000_000, before + 2_000_000_000))
    edited = Image.open(photo).convert("RGB")

    def shows_the_edit() -> bool:  # the grid repaints meanwhile: wait for what it shows
        pixmap = window.thumbnails.pixmap(str(photo))
        return pixmap is not None and mean_difference(on_screen(pixmap), edited) < 12

    qtbot.waitUntil(shows_the_edit, timeout=20000)
    # The next run (memory empty, the disk cache full) shows the edited photo too.
    again = ThumbnailCache(edge=window.thumbnails.edge)
    with qtbot.waitSignal(again.ready, timeout=5000):
        assert again.pixmap(str(photo)) is None
    assert mean_difference(on_screen(again.pixmap(str(photo))), edited) < 12
    again.shutdown()


# The grid and the results header take thumbnails from ThumbnailCache's memory, keyed by path.
# A path that came to hold another photo kept showing the old picture while the new one was
# searched (only "same photo id, new mtime or size" dropped it); these check that it does not.
def test_a_photo_renamed_over_another_shows_its_own_thumbnail(qtbot, make_window, tmp_path):
    cat, coffee = two_photos(tmp_path / "library", "chelsea", "coffee")
    window = window_on(qtbot, make_window, cat.parent, 2)
    thumbnail_of(qtbot, window, cat)
    os.replace(coffee, cat)  # `mv b.jpg a.jpg`: the library sees coffee move onto a.jpg
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == 1
                    and window.photos_model.photo_at(0).path == str(cat), timeout=20000)
    assert mean_difference(thumbnail_of(qtbot, window, cat), Image.open(cat)) < 12


def test_a_photo_deleted_then_replaced_shows_the_new_thumbnail(qtbot, make_window, tmp_path):
    photo, _ = two_photos(tmp_path / "library", "chelsea", "rocket")
    window = window_on(qtbot, make_window, photo.parent, 2)
    thumbnail_of(qtbot, window, photo)
    photo.unlink()
    wait_rows(qtbot, window, 1)
    make_photo(photo, "astronaut", size=(300, 200))
    wait_rows(qtbot, window, 2)
    wait_idle(qtbot, window)
    assert mean_difference(thumbnail_of(qtbot, window, photo), Image.open(photo)) < 12


def test_a_photo_dropped_again_after_it_changed_shows_what_is_searched(qtbot, make_window,
                                                                       tmp_path):
    folder = tmp_path / "library"
    make_photo(folder / "a.jpg", "chelsea", size=(300, 200))
    make_photo(folder / "b.jpg", "coffee", size=(300, 200))
    window = make_window()
    window.add_folder(str(folder))
    wait_rows(qtbot, window, 2)
    qtbot.waitUntil(lambda: len(window.snapshot) == 2, timeout=20000)
    dropped = tmp_path / "elsewhere" / "x.jpg"
    make_photo(dropped, "chelsea", size=(300, 200))
    assert drop(qtbot, window, dropped)[0].path == str(folder / "a.jpg")
    thumbnail_of(qtbot, window, dropped)
    make_photo(dropped, "coffee", size=(300, 200))  # saved over, then dropped again
    assert drop(qtbot, window, dropped)[0].path == str(folder / "b.jpg")  # searched: coffee
    assert mean_difference(thumbnail_of(qtbot, window, dropped), Image.open(dropped)) < 12


def test_a_thumbnail_made_while_the_photo_changed_is_made_again(qtbot, tmp_path, monkeypatch):
    """A photo rewritten (or a copy finished) while its thumbnail was being made: the grid
    forgets the old thumbnail, but the job in flight then stored the old picture (or "cannot
    be read", for a half-copied file) under the path, and it was shown until the cache let it
    go."""
    import threading

    from desktop_app.ui import thumbnails as thumbnails_module

    photo = make_photo(tmp_path / "photo.jpg", "chelsea", size=(300, 200))
    real = thumbnails_module.make_thumbnail
    read, go_on = threading.Event(), threading.Event()

    def slow_first(path, edge, cache_root):
        image = real(path, edge, cache_root)
        if not read.is_set():
            read.set()
            go_on.wait(10)
        return image

    monkeypatch.setattr(thumbnails_module, "make_thumbnail", slow_first)
    cache = thumbnails_module.ThumbnailCache(edge=160, disk_cache=False)
    try:
        assert cache.pixmap(str(photo)) is None
        assert read.wait(10)  # the old picture is read...
        make_photo(photo, "coffee", size=(300, 200))  # ...the photo changes...
        cache.forget(str(photo))  # ...and the grid forgets its thumbnail (PhotoListModel.upsert)
        assert cache.pixmap(str(photo)) is None
        go_on.set()
        edited = Image.open(photo).convert("RGB")

        def shows_the_new_picture() -> bool:
            pixmap = cache.pixmap(str(photo))
            return pixmap is not None and mean_difference(on_screen(pixmap), edited) < 12

        qtbot.waitUntil(shows_the_new_picture, timeout=10000)
    finally:
        go_on.set()
        cache.shutdown()
