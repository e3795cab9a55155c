"""Render resources/icons/lookalike.svg to the raster icons that platforms want.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py [OUT_DIR]

Writes lookalike-<size>.png for the hicolor sizes (Linux menus and docks look these up by
size), lookalike.ico (Windows: PyInstaller's EXE icon, several sizes in one file) and
lookalike.icns (macOS). The outputs are committed beside the SVG (about 140 KB in all), so a
build needs neither this script nor a display; rerun it whenever the SVG changes
(tests/test_packaging_icons.py fails while the committed icons no longer match the SVG).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "lookalike.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)  # hicolor's usual sizes, up to the SVG's own
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # what Windows picks from (256: large tiles)
ICNS_SIZES = (32, 64, 128, 256, 512, 1024)  # the pixel sizes Pillow writes (16-512, 1x/2x)


def render(svg: Path, size: int):
    """The SVG drawn on a transparent size x size canvas, as a Pillow RGBA image."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    # QPainter needs a GUI application; offscreen, so that no display is needed.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: Qt cannot read this SVG; check that it is a valid SVG file "
                         "(open it in a browser) and that PySide6's QtSvg module is installed.")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def make_icons(out_dir: Path, svg: Path = SVG) -> list[Path]:
    """Write the PNGs, the .ico and the .icns for `svg` into `out_dir`; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    images = {size: render(svg, size) for size in sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_SIZES})}
    for size in PNG_SIZES:
        path = out_dir / f"{svg.stem}-{size}.png"
        images[size].save(path, optimize=True)
        written.append(path)
    ico = out_dir / f"{svg.stem}.ico"
    # Pillow scales the largest image down for each size; give it each size drawn at that size.
    images[max(ICO_SIZES)].save(ico, sizes=[(s, s) for s in ICO_SIZES],
                                append_images=[images[s] for s in ICO_SIZES])
    written.append(ico)
    icns = out_dir / f"{svg.stem}.icns"
    # Pillow writes every ICNS size (16-1024); each one missing here would be a rescaled copy.
    images[max(ICNS_SIZES)].save(icns, append_images=[images[s] for s in ICNS_SIZES[:-1]])
    written.append(icns)
    return written


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else SVG.parent
    for path in make_icons(out_dir):
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
