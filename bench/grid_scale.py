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

--first-load times the window's first load instead (grid-first-load.md), --raw-pairs a library
shot RAW+JPEG against one of JPEGs only (grid-raw-pairs.md), --typing each key of a few names
typed in the grid (grid-typing.md). --typed has a name typed in the grid before the changes
timed (the grid's type-ahead then kept through them).
"""

from __future__ import annotations

import argparse
import gc
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


def measure(count: int, repeats: int, app, typed: bool = False) -> dict[str, dict[str, float]]:
    """`typed`: a photo's name typed in the grid first (the one at the middle, where the grid
    is scrolled), so that the changes keep the grid's type-ahead up to date."""
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
    if typed:
        type_name(app, grid, f"photo-{count // 2:07d}")
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
    0: one slice a turn). fed()'s measures."""
    from desktop_app.core.records import Photo
    from desktop_app.ui import row_feeder

    photos = [Photo(i, f"/photos/album-{i // 500:04d}/photo-{i:07d}.jpg", 1, 2_000_000,
                    1.0 + i, 4000, 3000, "ok", None) for i in range(1, count + 1)]
    model, grid = shown_grid([], app)
    saved, row_feeder.TURN_BUDGET_S = row_feeder.TURN_BUDGET_S, budget_s
    try:
        return fed(model, grid, photos, [], app)
    finally:
        row_feeder.TURN_BUDGET_S = saved
        grid.close()


def shown_grid(photos: list, app, scrolled: bool = False):
    """The real PhotoListModel holding `photos` in the real PhotoGrid, shown offscreen at
    1280x800 with 160 px thumbnails, laid out (scrolled to the middle if `scrolled`)."""
    from desktop_app.ui.models import PhotoListModel
    from desktop_app.ui.photo_grid import PhotoGrid

    model = PhotoListModel()
    model.set_photos(photos)
    grid = PhotoGrid(160)
    grid.setModel(model)
    grid.resize(1280, 800)
    grid.show()
    settle(app, grid)
    if scrolled:
        bar = grid.verticalScrollBar()
        bar.setValue(bar.maximum() // 2)
        settle(app, grid)
    return model, grid


def fed(model, grid, changed: list, removed: list, app) -> dict[str, float]:
    """`changed` photos and `removed` ids given at once to a RowFeeder on `model`, as the
    window gives the library's changes. Until the feeder is empty and the grid idle: ms, turns
    that did work, the longest turn and the 90th percentile of the busy turns."""
    from desktop_app.ui import row_feeder

    feeder = row_feeder.RowFeeder(model)
    busy: list[float] = []
    start = time.perf_counter()
    feeder.add(changed, removed)
    while feeder.pending():
        turn_start = time.perf_counter()
        app.processEvents()
        busy.append(time.perf_counter() - turn_start)
    _, rest_longest_ms = settle(app, grid)  # the layout after the last slice
    total_ms = (time.perf_counter() - start) * 1000
    busy = [t * 1000 for t in busy if t > BUSY_S] + [rest_longest_ms]
    return {"until shown and laid out, ms": total_ms, "busy turns": len(busy),
            "longest turn, ms": max(busy),
            # Inclusive: of 3 or 4 busy turns, the default (exclusive) method extrapolated past
            # the longest one.
            "90th percentile turn, ms": statistics.quantiles(busy, n=10, method="inclusive")[-1]
            if len(busy) > 1 else busy[0]}


def library_files(count: int, pairs: bool) -> list:
    """`count` synthetic files in the library's order, 500 a folder: JPEGs only, or
    count // 2 pictures shot RAW+JPEG (IMG_0000001.CR2 and IMG_0000001.JPG side by side, the
    raw first as their names sort; a pair's ids 2k-1 and 2k, never split between folders)."""
    from desktop_app.core.records import Photo

    def file(i: int, picture: int, suffix: str) -> Photo:
        return Photo(i, f"/photos/album-{(i - 1) // 500:04d}/IMG_{picture:07d}{suffix}", 1,
                     25_000_000 if suffix == ".CR2" else 5_000_000, 1.0 + picture, 6000, 4000,
                     "ok", None)

    if not pairs:
        return [file(i, i, ".JPG") for i in range(1, count + 1)]
    return [file(i, (i + 1) // 2, ".CR2" if i % 2 else ".JPG") for i in range(1, count + 1)]


def new_shot(count: int, raw: bool) -> list:
    """A picture indexed into a library of `count` files: its JPEG, with its raw if `raw`."""
    from desktop_app.core.records import Photo

    name = f"/photos/new/IMG_{count + 1:07d}"
    jpeg = Photo(count + 1, f"{name}.JPG", 1, 5_000_000, 2.0 + count, 6000, 4000, "ok", None)
    return [Photo(count + 2, f"{name}.CR2", 1, 25_000_000, 2.0 + count, 6000, 4000, "ok",
                  None), jpeg] if raw else [jpeg]


# Each change timed on a library of RAW+JPEG pairs, and on one of JPEGs only (the baseline):
# its label, the labels of the baseline's run and of the pairs' run, and (files in the grid
# before, changed, removed ids, scrolled to the middle, tiles after) for a library of `count`
# files, pairs or not.
RAW_PAIR_CHANGES = (
    ("first load (every file at once into the empty grid)",
     ("JPEGs only", "RAW+JPEG pairs"),
     lambda count, pairs: ([], library_files(count, pairs), [], False,
                           count // 2 if pairs else count)),
    ("a picture indexed into a library of JPEGs",
     ("its JPEG alone", "the first raw, with its JPEG"),
     lambda count, pairs: (library_files(count, False), new_shot(count, pairs), [], True,
                           count + 1)),
    ("every file removed at once (their folder dropped)",
     ("JPEGs only", "RAW+JPEG pairs"),
     lambda count, pairs: (library_files(count, pairs), [], list(range(1, count + 1)), True,
                           0)),
)


def raw_pairs_run(count: int, make, pairs: bool, app, typed: bool = False) -> dict[str, float]:
    """One change of RAW_PAIR_CHANGES timed through fed(), and the tiles it left (checked:
    a pair split, or a raw not behind its JPEG, would time another change). `typed`: the
    name of the grid's middle photo typed first, where the grid holds photos."""
    before, changed, removed, scrolled, tiles = make(count, pairs)
    model, grid = shown_grid(before, app, scrolled)
    if typed and before:
        type_name(app, grid, os.path.basename(model.photo_at(model.rowCount() // 2).path))
        settle(app, grid)
    gc.collect()  # the runs before left garbage: not this run's to collect
    try:
        run = fed(model, grid, changed, removed, app)
    finally:
        grid.close()
    if model.rowCount() != tiles:
        raise RuntimeError(f"{model.rowCount():,} tiles after the change, not {tiles:,}")
    run["tiles after"] = model.rowCount()
    return run


def suffix_check_ms(count: int, repeats: int) -> float:
    """may_hold_raws over the paths of `count` JPEGs: what a library without raws pays for
    its pairs (the median of `repeats`)."""
    from desktop_app.core.raw_twins import may_hold_raws

    paths = [photo.path for photo in library_files(count, False)]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        may_hold_raws(paths)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def write_raw_pairs(args, app) -> None:
    from desktop_app.ui.row_feeder import ROWS_FILED_PER_STEP, ROWS_PER_SLICE, TURN_BUDGET_S

    started = header("The library grid with RAW+JPEG pairs: big changes, the GUI thread's "
                     "turns")
    rows, checks = [], []
    for count in args.sizes:
        # Repeats outermost, pairs beside their baseline: both see the machine's load alike.
        runs: dict[tuple[str, bool], list[dict[str, float]]] = {}
        for _ in range(args.repeats):
            for change, _labels, make in RAW_PAIR_CHANGES:
                for pairs in (False, True):
                    runs.setdefault((change, pairs), []).append(
                        raw_pairs_run(count, make, pairs, app, args.typed))
        for change, labels, _make in RAW_PAIR_CHANGES:
            for pairs in (False, True):
                done = runs[(change, pairs)]
                values = {key: statistics.median(run[key] for run in done) for key in done[0]}
                longest = [run["longest turn, ms"] for run in done]
                print(count, change, labels[pairs], values, flush=True)
                rows.append(f"| {count:,} | {change} | {labels[pairs]} | "
                            f"{values['tiles after']:,.0f} | "
                            f"{values['until shown and laid out, ms']:.0f} | "
                            f"{values['busy turns']:.0f} | {values['longest turn, ms']:.0f} | "
                            f"{min(longest):.0f}-{max(longest):.0f} | "
                            f"{values['90th percentile turn, ms']:.0f} |\n")
        checks.append(f"- the suffix check of a library without raws (may_hold_raws over "
                      f"{count:,} JPEG paths): {suffix_check_ms(count, args.repeats):.0f} ms\n")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    text = (started + f"- load average at the end {load}\n"
            f"- median of {args.repeats} (each change on a fresh grid, pairs and baseline "
            "alternating); synthetic photos, no thumbnails read; through the window's "
            f"RowFeeder: slices of {ROWS_PER_SLICE:,} files, as many a turn as fit in "
            f"{TURN_BUDGET_S * 1000:.0f} ms, the first raw's pairs filed "
            f"{ROWS_FILED_PER_STEP:,} rows a step (desktop_app/ui/row_feeder.py)\n"
            "- until shown: from the change given to the feeder until the feeder is empty and "
            "the grid's layout done; busy turns: turns over 0.3 ms; a picture indexed and the "
            "removal: the grid scrolled to the middle\n"
            + "".join(checks) +
            "\n| files | change | library / what comes | tiles after | until shown, ms | "
            "busy turns | longest turn, ms | longest turn, range, ms | "
            "90th percentile turn, ms |\n|---|---|---|---|---|---|---|---|---|\n"
            + "".join(rows))
    out = Path(args.out).with_name("grid-raw-pairs.md")
    out.write_text(text)
    print(text)


def type_name(app, grid, name: str) -> list[float]:
    """`name` typed in `grid` key by key as a new name, each key given to keyboardSearch (as a
    key press is): the ms each key held the GUI thread (the model's search, and the current
    photo moved to the one found), the event loop turned until idle between keys (not
    timed). Each key goes on with the name, however long the one before took: Qt starts a
    new name when a key comes keyboardInputInterval (400 ms) after the one before."""
    from PySide6.QtWidgets import QApplication

    interval = QApplication.keyboardInputInterval()
    times = []
    try:
        QApplication.setKeyboardInputInterval(0)
        time.sleep(0.002)  # over 0 ms since the last key: a new name
        for key in name:
            start = time.perf_counter()
            grid.keyboardSearch(key)
            times.append((time.perf_counter() - start) * 1000)
            QApplication.setKeyboardInputInterval(3_600_000)
            settle(app, grid)
    finally:
        QApplication.setKeyboardInputInterval(interval)
    return times


def typing_names(pictures: int) -> list[tuple[str, str, int]]:
    """The names --typing types, each from the photo in the middle of the grid: what it is,
    the name, and the picture it finds. One after the middle, in small letters (Qt compares
    without case); one before it (the search wraps), with its dot; a raw's, found on its
    JPEG's tile in a library of pairs (in one of JPEGs only, the JPEG of that name stays
    found, and the keys after its dot find nothing: each searches every row)."""
    return [("a name after the current photo", f"img_{pictures * 3 // 4:07d}",
             pictures * 3 // 4),
            ("a name before it, with its dot (wraps)", f"IMG_{pictures // 4:07d}.JPG",
             pictures // 4),
            ("a raw's name", f"IMG_{pictures // 8:07d}.CR2", pictures // 8)]


def typing_run(count: int, pairs: bool, app) -> list[list[float]]:
    """The ms of each key of typing_names() in a fresh grid of `count` files (library_files),
    then of the first name again after a photo near the top is removed (as one deleted)."""
    model, grid = shown_grid(library_files(count, pairs), app, scrolled=True)
    pictures = count // 2 if pairs else count
    names = typing_names(pictures)
    gc.collect()
    runs = []
    try:
        for _what, name, picture in names + [names[0]]:
            if len(runs) == len(names):
                model.remove_ids([model.photo_at(10).id])
                settle(app, grid)
            grid.setCurrentIndex(model.index(model.rowCount() // 2))
            settle(app, grid)
            runs.append(type_name(app, grid, name))
            found = os.path.basename(model.photo_at(grid.currentIndex().row()).path)
            if found != f"IMG_{picture:07d}.JPG":
                raise RuntimeError(f"typing {name} found {found}, not IMG_{picture:07d}.JPG")
    finally:
        grid.close()
    return runs


def write_typing(args, app) -> None:
    started = header("Typing a photo's name in the library grid: each key's time")
    rows = []
    for count in args.sizes:
        for pairs in (False, True):
            runs = [typing_run(count, pairs, app) for _ in range(args.repeats)]
            library = "RAW+JPEG pairs" if pairs else "JPEGs only"
            names = typing_names(count // 2 if pairs else count)
            labels = [f"{what}: {name}" for what, name, _ in names]
            labels[0] += " (the first key after the load)"
            labels.append(f"{names[0][1]} again, after a photo near the top was removed")
            for i, label in enumerate(labels):
                keys = [run[i] for run in runs]  # each repeat's times of this name's keys
                first = statistics.median(k[0] for k in keys)
                longest = statistics.median(max(k) for k in keys)
                median = statistics.median(statistics.median(k) for k in keys)
                total = statistics.median(sum(k) for k in keys)
                print(count, library, label, first, longest, median, total, flush=True)
                rows.append(f"| {count:,} | {library} | {label} | {len(keys[0])} | {first:.1f} | "
                            f"{longest:.1f} | {median:.1f} | {total:.0f} |\n")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    text = (started + f"- load average at the end {load}\n"
            f"- median of {args.repeats} (each on a fresh grid, scrolled to the middle); "
            "synthetic photos named IMG_0000001.JPG... (with IMG_0000001.CR2... in a library of "
            "pairs: a tile a pair), no thumbnails read; each name typed from the photo in the "
            "middle, its keys given to the grid's keyboardSearch (as a key press is), the event "
            "loop idle between keys; a key's time: the search and the current photo moved\n"
            "\n| files | library | typed | keys | first key, ms | longest key, ms | "
            "median key, ms | all its keys, ms |\n|---|---|---|---|---|---|---|---|\n"
            + "".join(rows))
    out = Path(args.out).with_name("grid-typing.md")
    out.write_text(text)
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="bench/results/grid-scale.md")
    parser.add_argument("--first-load", action="store_true",
                        help="measure the window's first load instead (one slice a turn against "
                             "the RowFeeder's budget), written to bench/results/grid-first-load.md")
    parser.add_argument("--raw-pairs", action="store_true",
                        help="measure a library shot RAW+JPEG against one of JPEGs only (first "
                             "load, the first raw, every file removed), written to "
                             "bench/results/grid-raw-pairs.md")
    parser.add_argument("--typing", action="store_true",
                        help="time each key of a few names typed in the grid (JPEGs only and "
                             "RAW+JPEG pairs), written to bench/results/grid-typing.md")
    parser.add_argument("--typed", action="store_true",
                        help="type a photo's name in the grid before the changes timed (the "
                             "grid's type-ahead kept through them)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    if args.first_load:
        write_first_load(args, app)
        return
    if args.raw_pairs:
        write_raw_pairs(args, app)
        return
    if args.typing:
        write_typing(args, app)
        return
    results = {}
    for count in args.sizes:
        results[count] = measure(count, args.repeats, app, args.typed)
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
