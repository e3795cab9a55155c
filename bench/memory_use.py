"""The app's resident memory over a long session: does anything grow without bound?

The real MainWindow offscreen (1280x800) with the default model (resources/models/default), in
two fresh processes, each in its own temporary LOOKALIKE_HOME:

- library: (a) empty library, window shown; (b) a big library opened: --photos rows with random
  codes of the default model, --real of them real JPEGs on disk (bench/gui_stall.py's generator),
  the rest in a watched folder that is not there (an unplugged drive); (c) the whole grid
  scrolled once, page by page, every thumbnail made for real (the missing ones fail fast);
  (c) again --scrolls times; (d) --searches searches by clicking a photo of the grid
  (MainWindow.search_index, through the search controller), each awaited with its results'
  thumbnails.
- indexing: (a) again, then (e) --index real photos added as a folder and indexed with the
  default model, memory at each third; (f) --switches model switches, alternating the default
  model and the tiny test model (a real ONNX graph; no torch): the first encodes the library
  with the tiny model, the next ones find its codes kept.

Memory is VmRSS from /proc/self/status (VmHWM: the peak). With --trace, tracemalloc runs in
each process and the report lists the source lines whose Python allocations grew most in
each phase (tracemalloc costs time and memory of its own: the RSS of a traced run
is not the one to quote).

    env QT_QPA_PLATFORM=offscreen .venv/bin/python bench/memory_use.py

About 6 minutes on a 2-core machine; --photos 200000 or more --searches for longer runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def memory_mib() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MiB."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


class Probe:
    """Records (phase, RSS, peak) and, with tracing, the top tracemalloc growth of a phase."""

    def __init__(self, trace: bool) -> None:
        self.rows: list[dict] = []
        self.trace = trace
        self._snapshot = None
        if trace:
            import tracemalloc

            tracemalloc.start(1)

    def mark(self, phase: str, **extra) -> None:
        import gc

        gc.collect()
        rss, peak = memory_mib()
        self.rows.append({"phase": phase, "rss": rss, "peak": peak, **extra})
        print(json.dumps(self.rows[-1]), file=sys.stderr, flush=True)

    def start_growth(self) -> None:
        if self.trace:
            import tracemalloc

            self._snapshot = tracemalloc.take_snapshot()

    def growth(self, phase: str, top: int = 8) -> None:
        if not self.trace or self._snapshot is None:
            return
        import tracemalloc

        now = tracemalloc.take_snapshot()
        stats = [s for s in now.compare_to(self._snapshot, "lineno") if s.size_diff > 0]
        rows = []
        for stat in stats[:top]:
            frame = stat.traceback[0]
            name = os.path.relpath(frame.filename, ROOT) if frame.filename.startswith(
                str(ROOT)) else Path(frame.filename).name
            rows.append({"where": f"{name}:{frame.lineno}", "kib": stat.size_diff / 1024,
                         "blocks": stat.count_diff})
        self.rows[-1]["growth"] = rows


def wait_until(app, done, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench/memory_use.py: timed out after {timeout:.0f} s waiting for "
                             f"{what}; the machine may be too loaded: try again, or a larger "
                             "--timeout")
        app.processEvents()
        time.sleep(0.002)


def open_window(settings):
    from PySide6.QtWidgets import QApplication

    from desktop_app.app import configure_runtime
    from desktop_app.ui.main_window import MainWindow

    configure_runtime()  # as desktop_app.app.main does
    app = QApplication.instance() or QApplication([])
    window = MainWindow(settings)
    window.resize(1280, 800)
    window.show()
    wait_until(app, lambda: window._opened, 120, "the window to open the library")
    return app, window


def settle(app, window, timeout: float) -> None:
    """Until no thumbnail is pending and the worker is idle, and a few turns more."""
    wait_until(app, lambda: (window.thumbnails.pending() == 0
                             and window.folders_panel.activity.text() == ""), timeout,
               "the thumbnails and the worker")
    for _ in range(20):
        app.processEvents()


def build_big_library(home: Path, model_dir: Path, count: int, real: int) -> tuple[str, str]:
    """The library file of (b): `real` rows for the generated photos (their real size and
    mtime: the start-up check finds them unchanged) and `count - real` in a missing folder.
    Returns (real folder, missing folder)."""
    import numpy as np
    from gui_stall import generate_photos

    from desktop_app import paths
    from desktop_app.core.encoder import load_encoder
    from desktop_app.core.library import PhotoLibrary
    from desktop_app.core.store import Store

    folder = home / "photos"
    generate_photos(folder, real)
    files = sorted(str(p) for p in folder.rglob("*.jpg"))
    missing = str(home / "unplugged-drive")
    store = Store(paths.database_path())
    encoder = load_encoder(model_dir)
    lib = PhotoLibrary(store, encoder)
    real_id, missing_id = store.insert_folder(str(folder)), store.insert_folder(missing)
    width = (encoder.bits + 7) // 8
    codes = np.random.default_rng(0).integers(0, 256, size=(count, width), dtype=np.uint8)
    now = time.time()

    def row(i: int) -> tuple:
        if i < len(files):
            st = os.stat(files[i])
            return (i + 1, files[i], real_id, st.st_size, st.st_mtime, f"{i:032x}", "ok",
                    200, 200, now)
        return (i + 1, f"{missing}/{i // 1000:03d}/IMG_{i:06d}.jpg", missing_id, 3_000_000,
                now, f"{i:032x}", "ok", 4000, 3000, now)

    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO photos(id, path, folder_id, size, mtime, fingerprint, status, width, "
            "height, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?)", (row(i) for i in range(count)))
        conn.executemany("INSERT INTO codes(photo_id, model_id, code) VALUES (?,?,?)",
                         ((i + 1, lib.model_id, codes[i].tobytes()) for i in range(count)))
    store.close()
    return str(folder), missing


def library_session(args, home: Path, probe: Probe) -> None:
    from desktop_app.settings import Settings

    model_dir = Path(args.model).resolve()
    real_folder, missing = build_big_library(home, model_dir, args.photos, args.real)
    probe.mark("python + Qt + app imported, library file built")
    probe.start_growth()
    # (a) is measured in the indexing session; here the library opens at once.
    settings = Settings(model_dir=str(model_dir), first_run_done=True,
                        watched_folders=[real_folder, missing])
    app, window = open_window(settings)
    wait_until(app, lambda: (window.photos_model.rowCount() >= args.photos
                             and len(window.snapshot) >= args.photos), args.timeout,
               "the big library in the grid")
    settle(app, window, args.timeout)
    probe.mark("(b) big library open", photos=window.photos_model.rowCount())
    probe.growth("(b)")
    probe.start_growth()

    bar = window.grid.verticalScrollBar()
    for scroll in range(1, args.scrolls + 1):
        pages = 0
        bar.setValue(0)
        while True:
            settle(app, window, args.timeout)
            pages += 1
            if bar.value() >= bar.maximum():
                break
            bar.setValue(bar.value() + bar.pageStep())
        probe.mark(f"(c) grid scrolled {'once' if scroll == 1 else f'{scroll} times'}, "
                   "thumbnails made", pages=pages,
                   thumbnails_in_memory=len(window.thumbnails._memory),
                   unreadable_remembered=len(window.thumbnails._broken))
        probe.growth("(c)")
        probe.start_growth()

    rng = random.Random(0)
    model = window.photos_model
    shown = [0]
    window.results_shown.connect(lambda _: shown.__setitem__(0, shown[0] + 1))
    per_step = max(1, args.searches // 4)
    for i in range(1, args.searches + 1):
        before = shown[0]
        window.search_index(model.index(rng.randrange(model.rowCount())))
        wait_until(app, lambda before=before: shown[0] > before, args.timeout, "a search's results")
        settle(app, window, args.timeout)
        if i % per_step == 0:
            probe.mark(f"(d) after {i:,} searches",
                       thumbnails_in_memory=len(window.thumbnails._memory))
    probe.growth("(d)")
    window.shutdown()


def indexing_session(args, home: Path, probe: Probe) -> None:
    from gui_stall import generate_photos
    from tiny_model import make_tiny_model

    from desktop_app.settings import Settings

    folder = home / "photos"
    generate_photos(folder, args.index)
    tiny = make_tiny_model(home / "tiny-model", bits=48)
    probe.mark("python + Qt + app imported, photos generated")
    default = str(Path(args.model).resolve())
    app, window = open_window(Settings(model_dir=default, first_run_done=True))
    settle(app, window, args.timeout)
    probe.mark("(a) empty library, window shown")

    probe.start_growth()
    window.add_folder(str(folder))
    for step in (1, 2, 3):
        wanted = args.index * step // 3
        wait_until(app, lambda wanted=wanted: len(window.snapshot) >= wanted, args.timeout,
                   f"{wanted:,} photos indexed")
        probe.mark(f"(e) {len(window.snapshot):,} photos indexed")
    settle(app, window, args.timeout)
    probe.mark("(e) indexing done, idle")
    probe.growth("(e)")

    switched = [0]
    window.worker.model_switched.connect(lambda *_: switched.__setitem__(0, switched[0] + 1))
    probe.start_growth()
    for i in range(1, args.switches + 1):
        target = str(tiny) if i % 2 else default
        before = switched[0]
        window.switch_model(target)
        wait_until(app, lambda before=before: switched[0] > before and window.snapshot.model_id
                   == window.card.model_id and len(window.snapshot) >= args.index,
                   args.timeout, f"the switch to {target}")
        settle(app, window, args.timeout)
        probe.mark(f"(f) after {i} model switches ({'tiny' if i % 2 else 'default'} active)")
    probe.growth("(f)")
    window.shutdown()


def child(args) -> None:
    home = Path(tempfile.mkdtemp(prefix="lookalike-memory-"))
    os.environ["LOOKALIKE_HOME"] = str(home)
    os.environ.setdefault("LOOKALIKE_PROVIDER", "cpu")
    probe = Probe(args.trace)
    try:
        if args.child == "library":
            library_session(args, home, probe)
        else:
            indexing_session(args, home, probe)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(probe.rows))


def report(sessions: dict[str, list[dict]], args, note: str) -> str:
    from _common import header

    top = header("Resident memory of the app over a long session").replace(
        "command: `", "command: `env QT_QPA_PLATFORM=offscreen ", 1)
    lines = [top,
             (f"- model: {args.model}; library session: {args.photos:,} photos ({args.real:,} "
              f"real JPEGs of 160-320 px, the rest in a missing folder), {args.searches:,} "
              f"searches; indexing session: {args.index:,} real JPEGs, {args.switches} model "
              f"switches; tracemalloc {'on (RSS inflated by it)' if args.trace else 'off'}\n\n"),
             ("| session | phase | RSS, MiB | change, MiB | peak (VmHWM), MiB | notes |\n"
              "|---|---|---|---|---|---|\n")]
    growth = []
    for name, rows in sessions.items():
        last = None
        for row in rows:
            notes = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in row.items()
                              if k not in ("phase", "rss", "peak", "growth"))
            change = "" if last is None else f"{row['rss'] - last:+.0f}"
            lines.append(f"| {name} | {row['phase']} | {row['rss']:.0f} | {change} | "
                         f"{row['peak']:.0f} | {notes} |\n")
            last = row["rss"]
            if row.get("growth"):
                growth.append((row["phase"], row["growth"]))
    for phase, rows in growth:
        lines.append(f"\ntracemalloc, Python allocations that grew most up to \"{phase}\":\n\n"
                     "| where | KiB | blocks |\n|---|---|---|\n" +
                     "".join(f"| {r['where']} | {r['kib']:+.0f} | {r['blocks']:+,} |\n"
                             for r in rows))
    return "".join(lines) + (f"\n{note}\n" if note else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=50_000, help="rows of the big library")
    parser.add_argument("--real", type=int, default=3_000, help="of them real JPEG files")
    parser.add_argument("--scrolls", type=int, default=1, help="times the grid is scrolled")
    parser.add_argument("--searches", type=int, default=1_000)
    parser.add_argument("--index", type=int, default=3_000, help="photos indexed in (e)")
    parser.add_argument("--switches", type=int, default=6, help="model switches in (f)")
    parser.add_argument("--model", default="resources/models/default",
                        help="model folder (relative: to the repository root)")
    parser.add_argument("--trace", action="store_true", help="tracemalloc growth per phase")
    parser.add_argument("--only", choices=("library", "indexing"), help="one session only")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per wait")
    parser.add_argument("--out", type=Path, help="write the Markdown results here")
    parser.add_argument("--note", default="", help="a paragraph appended to the results")
    parser.add_argument("--child", choices=("library", "indexing"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.chdir(ROOT)  # the model folder and --out are relative to the repository root
    if args.child:
        child(args)
        return 0
    sessions = {}
    argv = [a for a in sys.argv[1:]]
    if "--note" in argv:  # prose for the file, not part of the command
        i = argv.index("--note")
        del argv[i:i + 2]
    for name in ("library", "indexing"):
        if args.only and name != args.only:
            continue
        out = subprocess.run([sys.executable, __file__, *argv, "--child", name],
                             stdout=subprocess.PIPE, text=True, check=False)
        if out.returncode:
            print(f"bench/memory_use.py: the {name} session failed (exit {out.returncode}); "
                  "its output is above", file=sys.stderr)
            return 1
        sessions[name] = json.loads(out.stdout.strip().splitlines()[-1])
    sys.argv = [sys.argv[0], *argv]  # the header's command: without the note
    text = report(sessions, args, args.note)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
