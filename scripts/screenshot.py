"""Start the real Lookalike window on a virtual X display, index the sample photos, click one,
and save docs/screenshot.png (the README shows it).

Needs Xvfb and the X libraries Qt's xcb platform loads (Debian/Ubuntu):

    apt-get install -y xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 \
        libxcb-image0 libxcb-render-util0 libxcb-xinerama0 libxcb-randr0 libxcb-shape0 libxcb-xkb1

(Qt's error message blames libxcb-cursor0 whatever is missing; QT_DEBUG_PLUGINS=1 names the real
one.) Run from the repository root:

    .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png] [--photo NAME] [--model DIR]

State goes to a temporary LOOKALIKE_HOME, so your own library is not touched. The default model
is used when installed (resources/models/default), else the tiny test model, and the script
says so.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def start_xvfb(size: str) -> tuple[subprocess.Popen, str]:
    if not shutil.which("Xvfb"):
        sys.exit("screenshot: Xvfb is not installed; see this script's docstring for apt-get")
    for display_number in range(99, 120):
        if not Path(f"/tmp/.X11-unix/X{display_number}").exists():
            break
    display = f":{display_number}"
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if Path(f"/tmp/.X11-unix/X{display_number}").exists():
            return proc, display
        time.sleep(0.05)
    proc.kill()
    sys.exit("screenshot: Xvfb did not start")


def wait_for(app, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshot: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    ap.add_argument("--photo", default="flower-marigold.jpg", help="sample photo to click")
    ap.add_argument("--size", default="1400x880")
    ap.add_argument("--model", type=Path, help="model folder (default: the installed default)")
    args = ap.parse_args()

    xvfb, display = start_xvfb(args.size)
    home = Path(tempfile.mkdtemp(prefix="lookalike-screenshot-"))
    os.environ.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", LOOKALIKE_HOME=str(home))
    try:
        return take(args, home)
    finally:
        xvfb.terminate()
        xvfb.wait(5)
        shutil.rmtree(home, ignore_errors=True)


def take(args, home: Path) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop_app import paths
    from desktop_app.app import configure_runtime
    from desktop_app.settings import Settings
    from desktop_app.ui.main_window import MainWindow

    model_dir = args.model or paths.default_model_dir()
    if not (model_dir / "model.json").is_file():
        from tiny_model import make_tiny_model

        model_dir = make_tiny_model(home / "tiny-model", bits=48)
        print("screenshot: the default model is not installed; using the tiny test model")
    configure_runtime()
    app = QApplication([sys.argv[0]])
    assert QGuiApplication.platformName() == "xcb", QGuiApplication.platformName()
    width, height = (int(x) for x in args.size.split("x"))
    window = MainWindow(Settings(model_dir=str(model_dir), first_run_done=True))
    window.setGeometry(0, 0, width, height)
    window.show()
    wait_for(app, lambda: window._opened, 60, "the library to open")
    samples = paths.sample_photos_dir()
    count = sum(1 for p in samples.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    window.add_folder(str(samples))
    wait_for(app, lambda: len(window.snapshot) >= count and window.photos_model.rowCount() >= count
             and window.folders_panel.activity.text() == "", 300, "indexing")
    model = window.photos_model
    row = next((r for r in range(model.rowCount())
                if Path(model.photo_at(r).path).name == args.photo), 0)
    index = model.index(row)
    window.grid.scrollTo(index)
    window.grid.setCurrentIndex(index)
    shown = []
    window.results_shown.connect(shown.append)
    QTest.mouseClick(window.grid.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.grid.visualRect(index).center())
    wait_for(app, lambda: bool(shown), 30, "search results")
    # Let every visible thumbnail arrive before the picture is taken.
    wait_for(app, lambda: window.thumbnails.pending() == 0, 60, "thumbnails")
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    picture = QGuiApplication.primaryScreen().grabWindow(window.winId())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not picture.save(str(args.out), "PNG"):
        raise SystemExit(f"screenshot: could not write {args.out}")
    top = shown[0][0] if shown[0] else None
    print(f"screenshot: {args.out} ({picture.width()}x{picture.height()}), clicked {args.photo}, "
          f"{len(shown[0])} results" + (f", nearest {Path(top.path).name} at distance "
                                        f"{top.distance}" if top else ""))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
