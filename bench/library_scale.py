"""What grows with the library: the app's paths while a few photos change in a big library.

Fills a real library file with N synthetic photos (rows + random 48-bit codes, as
bench/open_library.py) in a folder that also holds a few real photos, then times, in process:
the indexer's publish (what it sends the window about once a second while it works) in full and
after one changed photo, indexing one changed file and forgetting one deleted file (the
watcher's jobs), the status counts, the grid model removing one row, and optionally the
duplicates search. Medians of --repeats.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/library_scale.py --sizes 50000 200000
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from _common import header
from open_library import build_library


def timed(call, repeats: int, before=None) -> float:
    """Median ms of `call()`, `before()` (untimed) run ahead of each."""
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(count: int, repeats: int, duplicates: bool, work: Path) -> dict[str, float]:
    from photos import make_photo
    from tiny_model import make_tiny_model

    from desktop_app.ui.models import PhotoListModel
    from desktop_app.ui.workers import IndexerWorker

    model_dir = make_tiny_model(work / "model", bits=48)
    folder, db = work / "photos", work / "library.sqlite3"
    build_library(db, model_dir, count, str(folder))
    worker = IndexerWorker(str(model_dir), str(db))
    ms: dict[str, float] = {}
    start = time.perf_counter()
    worker.open()  # its first publish reads and sends every photo
    ms["open the worker (first, full publish)"] = (time.perf_counter() - start) * 1000
    lib = worker._library
    photo = folder / "new" / "chelsea.jpg"
    make_photo(photo, "chelsea", size=(96, 64))
    lib.index_paths([str(photo)])
    turn = [0]

    def change_photo() -> None:
        turn[0] += 1
        make_photo(photo, "chelsea", size=(96 + turn[0], 64))

    ms["index_paths(1 changed file)"] = timed(lambda: lib.index_paths([str(photo)]), repeats,
                                              change_photo)
    ms["publish after 1 changed photo"] = timed(
        lambda: worker._publish(force=True), repeats,
        lambda: (change_photo(), lib.index_paths([str(photo)])))
    ms["publish, nothing changed"] = timed(lambda: worker._publish(force=True), repeats)
    ms["library.photos() (a full read)"] = timed(lib.photos, repeats)
    ms["search_index() rebuilt"] = timed(lib.search_index, repeats,
                                         lambda: setattr(lib, "_index", None))
    gone = [folder / "new" / f"gone{i}.jpg" for i in range(repeats)]
    for path in gone:
        make_photo(path, "coffee", size=(64, 64))
    lib.index_paths([str(p) for p in gone])
    for path in gone:
        path.unlink()
    left = list(gone)
    ms["remove_paths(1 deleted file)"] = timed(lambda: lib.remove_paths([str(left.pop())]),
                                               repeats)
    ms["counts()"] = timed(lib.counts, repeats)
    photos = lib.photos()
    model = PhotoListModel()
    model.upsert(photos)
    victims = [p.id for p in photos[10:10 + repeats]]
    ms["grid model: remove 1 early row"] = timed(lambda: model.remove_ids([victims.pop()]),
                                                 repeats)
    if duplicates:
        snapshot = worker._snapshot
        ms["duplicates (default distance, random codes)"] = timed(snapshot.duplicates, 1)
    worker.close()
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000, 200_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--duplicates", action="store_true", help="also time the duplicates "
                        "search (tens of seconds at 200,000)")
    parser.add_argument("--out", default="bench/results/library-scale.md")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 - QObjects need one
    results = {}
    for count in args.sizes:
        work = Path(tempfile.mkdtemp(prefix="lookalike-scale-"))
        os.environ["LOOKALIKE_HOME"] = str(work / "home")
        try:
            results[count] = measure(count, args.repeats, args.duplicates, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(count, results[count], flush=True)
    names = list(results[args.sizes[0]])
    text = (header("What grows with the library size") +
            f"- 48-bit codes, synthetic rows; median of {args.repeats} (one run for duplicates)\n\n"
            "| operation | " + " | ".join(f"{n:,} photos, ms" for n in args.sizes) + " |\n"
            "|---|" + "---|" * len(args.sizes) + "\n" +
            "".join(f"| {name} | " + " | ".join(f"{results[n][name]:.1f}" for n in args.sizes)
                    + " |\n" for name in names))
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
