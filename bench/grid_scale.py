"""How long a change of a few rows holds up the GUI thread with a big library in the grid.

The real PhotoListModel in the real PhotoGrid, shown offscreen (1280x800, 160 px thumbnails, no
thumbnail cache: no file is read), holding N synthetic photos, scrolled to the middle. For each
change (one early row removed, as a deleted or trashed photo or one the watcher saw go; 100
scattered rows removed; one row added, as a new photo indexed) it times the model call, then turns
the event loop until the view is done re-laying out (no timer event reached the grid and no turn
took over 0.3 ms for 30 turns in a row), and records the longest single turn and whether the
view kept its scroll position (a batched layout starts again from the top, and the view was
thrown back to about the thousandth photo). Medians of --repeats.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/grid_scale.py --sizes 50000 200000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from _common import header

BUSY_S = 0.0003  # a turn that took longer did work (an idle turn takes a few microseconds)
IDLE_TURNS = 30


def settle(app, grid) -> tuple[float, float]:
    """Turn the event loop until the grid is idle: (ms until the last busy turn ended, longest
    turn in ms). The grid's batched layout runs on a zero-interval timer, seen by a filter."""
    from PySide6.QtCore import QEvent, QObject

    class Timers(QObject):
        seen = False

        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Timer:
                Timers.seen = True
            return False

    spy = Timers()
    grid.installEventFilter(spy)
    start = last_busy = time.perf_counter()
    longest, idle = 0.0, 0
    while idle < IDLE_TURNS:
        Timers.seen = False
        turn_start = time.perf_counter()
        app.processEvents()
        turn_end = time.perf_counter()
        longest = max(longest, turn_end - turn_start)
        if Timers.seen or turn_end - turn_start > BUSY_S:
            last_busy, idle = turn_end, 0
        else:
            idle += 1
    grid.removeEventFilter(spy)
    return (last_busy - start) * 1000, longest * 1000


def measure(count: int, repeats: int, app) -> dict[str, dict[str, float]]:
    from desktop_app.core.records import Photo
    from desktop_app.ui.models import PhotoListModel
    from desktop_app.ui.photo_grid import PhotoGrid

    def photo(i: int) -> Photo:
        return Photo(i, f"/photos/album-{i // 500:04d}/photo-{i:07d}.jpg", 1, 2_000_000,
                     1.0 + i, 4000, 3000, "ok", None)

    model = PhotoListModel()
    model.set_photos([photo(i) for i in range(1, count + 1)])
    grid = PhotoGrid(160)
    grid.setModel(model)
    grid.resize(1280, 800)
    grid.show()
    settle(app, grid)
    bar = grid.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    settle(app, grid)
    rng = random.Random(0)
    next_id = [count + 1]

    def remove_early() -> None:
        model.remove_ids([model.photo_at(10).id])

    def remove_scattered() -> None:
        rows = rng.sample(range(model.rowCount()), 100)
        model.remove_ids([model.photo_at(r).id for r in rows])

    def add_one() -> None:
        model.upsert([photo(next_id[0])])
        next_id[0] += 1

    results = {}
    for name, change in (("remove 1 early row", remove_early),
                         ("remove 100 scattered rows", remove_scattered),
                         ("add 1 row", add_one)):
        calls, layouts, turns, kept = [], [], [], []
        for _ in range(repeats):
            place = bar.value()
            start = time.perf_counter()
            change()
            calls.append((time.perf_counter() - start) * 1000)
            layout_ms, longest_ms = settle(app, grid)
            layouts.append(layout_ms)
            turns.append(longest_ms)
            kept.append(bar.value() == place)
        results[name] = {"model call": statistics.median(calls),
                         "re-layout (event loop)": statistics.median(layouts),
                         "longest turn after": statistics.median(turns),
                         "scroll position kept": sum(kept) / len(kept)}
    grid.close()
    return results


def first_load(count: int, budget_s: float, app) -> dict[str, float]:
    """The window's first load: every photo given to an empty grid at once through the
    RowFeeder the window uses (slices of ROWS_PER_SLICE, as many a turn as fit in budget_s;
    0: one slice a turn). Until the feeder is empty and the grid idle: ms, turns that did work,
    the longest turn and the 90th percentile of the busy turns."""
    from desktop_app.core.records import Photo
    from desktop_app.ui import row_feeder
    from desktop_app.ui.models import PhotoListModel
    from desktop_app.ui.photo_grid import PhotoGrid

    photos = [Photo(i, f"/photos/album-{i // 500:04d}/photo-{i:07d}.jpg", 1, 2_000_000,
                    1.0 + i, 4000, 3000, "ok", None) for i in range(1, count + 1)]
    model = PhotoListModel()
    grid = PhotoGrid(160)
    grid.setModel(model)
    grid.resize(1280, 800)
    grid.show()
    settle(app, grid)
    saved, row_feeder.TURN_BUDGET_S = row_feeder.TURN_BUDGET_S, budget_s
    try:
        feeder = row_feeder.RowFeeder(model)
        busy: list[float] = []
        start = time.perf_counter()
        feeder.add(photos, [])
        while feeder.pending():
            turn_start = time.perf_counter()
            app.processEvents()
            busy.append(time.perf_counter() - turn_start)
        _, rest_longest_ms = settle(app, grid)  # the layout after the last slice
        total_ms = (time.perf_counter() - start) * 1000
    finally:
        row_feeder.TURN_BUDGET_S = saved
    busy = [t * 1000 for t in busy if t > BUSY_S] + [rest_longest_ms]
    grid.close()
    return {"until shown and laid out, ms": total_ms, "busy turns": len(busy),
            "longest turn, ms": max(busy),
            # Inclusive: of 3 or 4 busy turns, the default (exclusive) method extrapolated past
            # the longest one.
            "90th percentile turn, ms": statistics.quantiles(busy, n=10, method="inclusive")[-1]
            if len(busy) > 1 else busy[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="bench/results/grid-scale.md")
    parser.add_argument("--first-load", action="store_true",
                        help="measure the window's first load instead (one slice a turn against "
                             "the RowFeeder's budget), written to bench/results/grid-first-load.md")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    if args.first_load:
        write_first_load(args, app)
        return
    results = {}
    for count in args.sizes:
        results[count] = measure(count, args.repeats, app)
        print(count, results[count], flush=True)
    rows = []
    for count in args.sizes:
        for change, values in results[count].items():
            rows.append(f"| {count:,} | {change} | {values['model call']:.1f} | "
                        f"{values['re-layout (event loop)']:.0f} | "
                        f"{values['longest turn after']:.1f} | "
                        f"{values['scroll position kept']:.0%} |\n")
    text = (header("The library grid with many photos: one change, the GUI thread's time") +
            f"- median of {args.repeats}; synthetic photos, no thumbnails read\n\n"
            "| photos | change | model call, ms | re-layout, ms | longest turn after, ms | "
            "scroll position kept |\n|---|---|---|---|---|---|\n" + "".join(rows))
    Path(args.out).write_text(text)
    print(text)


def write_first_load(args, app) -> None:
    from desktop_app.ui.row_feeder import ROWS_PER_SLICE, TURN_BUDGET_S

    rows = []
    for count in args.sizes:
        for label, budget in (("one slice a turn", 0.0),
                              (f"slices for up to {TURN_BUDGET_S * 1000:.0f} ms a turn",
                               TURN_BUDGET_S)):
            runs = [first_load(count, budget, app) for _ in range(args.repeats)]
            values = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            print(count, label, values, flush=True)
            rows.append(f"| {count:,} | {label} | " +
                        " | ".join(f"{v:.0f}" for v in values.values()) + " |\n")
    text = (header("The window's first load of a big library into the grid") +
            f"- median of {args.repeats}; synthetic photos, no thumbnails read; slices of "
            f"{ROWS_PER_SLICE:,} photos (desktop_app/ui/row_feeder.py)\n\n"
            "| photos | turns | until shown and laid out, ms | busy turns | longest turn, ms | "
            "90th percentile turn, ms |\n|---|---|---|---|---|---|\n" + "".join(rows))
    out = Path(args.out).with_name("grid-first-load.md")
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
