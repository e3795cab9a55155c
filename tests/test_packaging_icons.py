"""The raster icons made from resources/icons/lookalike.svg by packaging/make_icons.py: the
PNGs at the hicolor sizes Linux menus look up, the .ico (Windows) and .icns (macOS) that
PyInstaller wants, all in step with the SVG, which the running app still uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from packaging_scripts import packaging_script
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two RGBA images, 0-255."""
    return float(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).mean())


@pytest.mark.parametrize("size", [16, 24, 32, 48, 64, 128, 256])
def test_each_png_is_the_svg_drawn_at_its_size(qapp, size):
    path = ICONS / f"lookalike-{size}.png"
    committed = Image.open(path)
    assert committed.format == "PNG" and committed.size == (size, size)
    assert committed.mode == "RGBA" and committed.getextrema()[3][0] == 0  # transparent corners
    # A PNG left behind after the SVG changed: rerun packaging/make_icons.py.
    drawn = packaging_script("make_icons").render(ICONS / "lookalike.svg", size)
    assert difference(committed.convert("RGBA"), drawn) < 1.0, f"{path.name} is stale"


def test_the_ico_and_icns_hold_every_size_drawn_from_the_svg(qapp):
    make_icons = packaging_script("make_icons")
    ico = Image.open(ICONS / "lookalike.ico")
    assert ico.format == "ICO"
    assert sorted(ico.info["sizes"]) == [(s, s) for s in make_icons.ICO_SIZES]
    icns = Image.open(ICONS / "lookalike.icns")
    assert icns.format == "ICNS"
    assert {s[0] * s[2] for s in icns.info["sizes"]} == set(make_icons.ICNS_SIZES)
    drawn = make_icons.render(ICONS / "lookalike.svg", 256)
    ico.size = (256, 256)
    ico.load()
    # The 256 px image at scale 1 (ic08) read directly: IcnsImageFile.load(scale=) is newer than
    # the Pillow 10.3 that pyproject allows, and there a 2-tuple size loads the largest image.
    icns_256 = icns.icns.getimage((256, 256, 1))
    for image, kind in ((ico, "ICO"), (icns_256, "ICNS")):
        assert image.size == (256, 256), kind
        assert difference(image.convert("RGBA"), drawn) < 1.0, kind


def test_make_icons_writes_every_icon(qapp, tmp_path):
    written = packaging_script("make_icons").make_icons(tmp_path)
    assert sorted(p.name for p in written) == sorted(
        [f"lookalike-{s}.png" for s in (16, 24, 32, 48, 64, 128, 256)]
        + ["lookalike.ico", "lookalike.icns"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)


def test_the_window_icon_still_draws(qapp):
    """desktop_app/app.py sets the SVG as the window icon (Qt's SVG icon engine draws it)."""
    from PySide6.QtGui import QIcon

    pixmap = QIcon(str(ICONS / "lookalike.svg")).pixmap(48, 48)
    assert not pixmap.isNull() and pixmap.width() == 48
