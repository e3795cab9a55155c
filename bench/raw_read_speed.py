"""How long a camera raw file takes to read, against the camera's JPEG of the same photo.

A raw is read from the JPEG the camera embedded in it when that is big enough (camera_raw.py),
and developed from its sensor data by LibRaw otherwise. This times both, and the camera JPEG, on
24 MP photos (6000x4000, DNGs written like tests/photos.make_camera_raw: a 16-bit Bayer mosaic
and a full-size JPEG at quality 92, or a 160-pixel one that forces development), through the
app's two real paths: the indexer's read (images.load_photo at the default model's draft size)
and the grid's thumbnail (thumbnails.make_thumbnail at 160 pixels, no disk cache). Files are in
the page cache (each read once before timing); the median of --repeats reads is reported.

    .venv/bin/python bench/raw_read_speed.py --out bench/results/raw-read-speed.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from _common import header

CAMERA = (6000, 4000)


def median_ms(action, repeats: int) -> float:
    action()  # warm: the page cache, the decoders' first-use costs
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, help="write the table here (Markdown)")
    args = parser.parse_args()

    from photos import make_camera_raw, make_photo

    from desktop_app.core import images
    from desktop_app.core.model_card import read_card
    from desktop_app.core.preprocess import draft_target
    from desktop_app.paths import default_model_dir
    from desktop_app.ui.thumbnails import make_thumbnail

    spec = read_card(default_model_dir()).input
    rows = []
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        files = {
            "camera JPEG (quality 92)": make_photo(work / "IMG_0001.JPG", "astronaut",
                                                   size=CAMERA, quality=92),
            "raw, full-size embedded JPEG": make_camera_raw(
                work / "IMG_0002.CR2", "astronaut", size=CAMERA, preview_side=max(CAMERA)),
            "raw, 160 px embedded JPEG (developed)": make_camera_raw(
                work / "IMG_0003.NEF", "astronaut", size=CAMERA, preview_side=160),
        }
        for label, path in files.items():
            index_ms = median_ms(lambda p=path: images.load_photo(p, min_size=draft_target(spec)),
                                 args.repeats)
            thumb_ms = median_ms(lambda p=path: make_thumbnail(str(p), 160, None), args.repeats)
            rows.append((label, path.stat().st_size / 2**20, index_ms, thumb_ms))

    lines = [header("Camera raw read speed"), "",
             (f"24 MP photos ({CAMERA[0]}x{CAMERA[1]}), median of {args.repeats} reads each, "
              "one thread, files in the page cache."), "",
             "| file | size (MiB) | indexer's read (ms) | 160 px thumbnail (ms) |",
             "|---|---:|---:|---:|"]
    lines += [f"| {label} | {size:.1f} | {index:.0f} | {thumb:.0f} |"
              for label, size, index, thumb in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
