"""Progress reporting: a tqdm bar on stderr for people, or one JSON object per line on stdout
for the desktop app (the protocol: docs/trainer.md, "Command line"), plus clean stop on signals and
when the reader of that output is gone."""

from __future__ import annotations

import errno
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from .errors import Stopped
from .wording import plural


def _finite(obj: Any) -> Any:
    """NaN/inf have no JSON spelling: report them as null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def reader_gone(exc: OSError) -> bool:
    """A write failed because nothing reads the other end of the pipe any more (the desktop app
    that started the trainer crashed or was killed). Windows says EINVAL for a closed pipe."""
    return exc.errno == errno.EPIPE or (sys.platform == "win32" and exc.errno == errno.EINVAL)


class Reporter:
    """mode: "json" (stdout, one object per line), "bar" (tqdm on stderr) or "none"."""

    def __init__(self, mode: str = "bar", stream: TextIO | None = None,
                 min_interval: float = 0.25) -> None:
        self.mode = mode
        self.stream = stream or sys.stdout
        self.min_interval = min_interval
        self._last_emit = 0.0
        self._phase: tuple | None = None
        self._phase_start = time.monotonic()
        self._phase_first_step = 0
        self._phase_first_ran = 0
        self._bar = None
        self._drawn = 0.0
        # Called once when the reader of the progress is gone (reader_gone): the CLI's
        # StopFlag.request, so that the run saves its checkpoint as on Ctrl-C instead of dying
        # of a BrokenPipeError.
        self.on_reader_gone: Callable[[], None] | None = None
        self._gone: set[int] = set()  # id() of the streams nothing reads any more

    def _write(self, stream: TextIO, write: Callable[[], Any]) -> None:
        """write() to `stream`, unless its reader is gone (then nothing is written to it)."""
        if id(stream) in self._gone:
            return
        try:
            write()
        except OSError as exc:
            if not reader_gone(exc):
                raise
            self._lose(stream)

    def _lose(self, stream: TextIO) -> None:
        self._gone.add(id(stream))  # (so _write loses each stream once)
        if stream is sys.stderr and self._bar is not None:
            self._bar.disable = True  # else its close (or __del__) writes there again
            self._bar = None
        try:
            # What is still buffered for it, and Python's flush of it at exit, go nowhere
            # instead of failing again ("Exception ignored ... BrokenPipeError").
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, stream.fileno())
            finally:
                os.close(null)
        except (AttributeError, OSError, ValueError):  # no file descriptor (a test's capture)
            pass
        # Only the progress' reader is the one that started the run: stderr beside JSON
        # progress that is still read (its log lines) is no stop request, it is just not heard.
        progress = {"json": self.stream, "bar": sys.stderr}.get(self.mode)
        if stream is progress and self.on_reader_gone:
            self.on_reader_gone()

    def _say(self, message: str) -> None:
        self._write(sys.stderr, lambda: print(message, file=sys.stderr))

    def _emit(self, obj: dict[str, Any]) -> None:
        if self.mode == "json":
            self._send(obj)

    def _send(self, obj: dict[str, Any]) -> None:
        line = json.dumps(_finite(obj), allow_nan=False) + "\n"
        self._write(self.stream, lambda: (self.stream.write(line), self.stream.flush()))

    def start(self, photos: int, labels: int, device: str) -> None:
        if getattr(self, "_started", False):  # once per run, before any progress event
            return
        self._started = True
        self._emit({"event": "start", "photos": photos, "labels": labels, "device": device})
        if self.mode == "bar":
            self._say(f"{plural(photos, 'photo')}, {plural(labels, 'label')}, on {device}")

    def progress(self, phase: str, step: int, steps: int, stage: int | None = None,
                 bits: int | None = None, loss: float | None = None,
                 val_map: float | None = None, ran: int | None = None,
                 doing: str | None = None) -> None:
        """ran: the steps actually run so far, when `step` also counts steps skipped (a
        training phase stopped early counts whole): the time left comes from the steps run.
        doing: what the phase does before its first step ("loading the backbone"), said at
        once; the phase's time is then measured from its first step, not from this."""
        if doing:
            self._announce(phase, step, steps, doing)
            return
        now = time.monotonic()
        ran = step if ran is None else ran
        key = (phase, stage if phase != "train" else None)
        if key != self._phase:
            self._close_bar()
            self._phase, self._phase_start, self._phase_first_step = key, now, step
            self._phase_first_ran = ran
        done = ran - self._phase_first_ran
        elapsed = now - self._phase_start
        eta = (elapsed / done * (steps - step)) if done > 0 and elapsed > 0.5 else None
        if self.mode == "bar":
            # drawn at most 4 times a second, as JSON lines are sent: a draw for each of
            # thousands of steps a second filled a log of stderr (110 kB for a 15 s run); a
            # validation mAP always (the next step's postfix holds none, so it would go unseen)
            draw = (step >= steps or val_map is not None or self._bar is None
                    or now - self._drawn >= self.min_interval)
            self._write(sys.stderr, lambda: self._update_bar(phase, step, steps, stage, bits,
                                                             loss, val_map, draw, step - done))
            if draw:
                self._drawn = now
        last = step >= steps
        if self.mode == "json" and (last or val_map is not None
                                    or now - self._last_emit >= self.min_interval):
            self._last_emit = now
            self._emit({"event": "progress", "phase": phase, "stage": stage, "bits": bits,
                        "step": step, "steps": steps,
                        "loss": None if loss is None else round(float(loss), 5),
                        "val_map": None if val_map is None else round(float(val_map), 5),
                        "eta_s": None if eta is None else round(eta, 1)})

    def _announce(self, phase: str, step: int, steps: int, doing: str) -> None:
        if self.mode == "bar":
            self.log(f"{phase}: {doing}...")
        # (not counted as the last line sent: the phase's first step is sent at once too)
        self._emit({"event": "progress", "phase": phase, "stage": None, "bits": None,
                    "step": step, "steps": steps, "loss": None, "val_map": None, "eta_s": None,
                    "doing": doing})

    def _update_bar(self, phase, step, steps, stage, bits, loss, val_map, draw=True,
                    skipped=0) -> None:
        from tqdm import tqdm

        if self._bar is None:
            # initial: the steps done before this bar (a resumed run) took none of its time;
            # counted as its own they made the time left read 00:00
            self._bar = tqdm(total=steps, initial=step, desc=phase, file=sys.stderr,
                             leave=True, dynamic_ncols=True, mininterval=0.5)
        self._bar.n = step
        post = {}
        if bits is not None:
            post["bits"] = bits
        if loss is not None:
            post["loss"] = f"{loss:.4f}"
        if val_map is not None:
            post["val_mAP"] = f"{val_map:.4f}"
        if post:
            self._bar.set_postfix(post, refresh=False)
        # tqdm's rate is (n - initial) / elapsed: the steps skipped count as initial ones
        self._bar.initial = skipped
        if draw:  # else the next draw, or closing the bar, shows this step
            self._bar.refresh()

    def _close_bar(self) -> None:
        bar, self._bar = self._bar, None
        if bar is not None:
            self._write(sys.stderr, bar.close)

    def estimate(self, **found: Any) -> None:
        """`estimate`'s measure of how long a run would take (docs/trainer.md)."""
        self._emit({"event": "estimate", **found})

    def done(self, model_dir: str | None = None, evaluation: dict[str, Any] | None = None,
             **extra: Any) -> None:
        """The last event of every command: `run` and `export` name the model folder, `run` and
        `evaluate` give the evaluation, the other steps name the file they wrote."""
        self._close_bar()
        event: dict[str, Any] = {"event": "done"}
        if model_dir is not None:
            event["model_dir"] = model_dir
        if evaluation is not None:
            event["evaluation"] = evaluation
        self._emit({**event, **extra})

    def error(self, message: str, **details: str) -> None:
        """details: what an app words itself (trainer.errors.error_details: path, reason,
        option, problem)."""
        self._close_bar()
        self._emit({"event": "error", "message": message, **details})
        self._say(f"error: {message}")

    def log(self, message: str) -> None:
        self._close_bar()
        self._say(message)


class RankReporter(Reporter):
    """The reporter of a torchrun process other than rank 0. Rank 0 reports the run's progress;
    this one sends none, but says its own failure as rank 0 would, after "rank N: " (the other
    ranks' messages do not say it, and torchrun's exit code alone says nothing). `mode` "json"
    sends it as an `error` event too, with its details and "rank", for the app to word."""

    def __init__(self, rank: int, mode: str = "bar", stream: TextIO | None = None) -> None:
        super().__init__("none", stream)
        self.rank, self.error_mode = rank, mode

    def error(self, message: str, **details: str) -> None:
        message = f"rank {self.rank}: {message}"
        if self.error_mode == "json":
            self._send({"event": "error", "message": message, "rank": self.rank, **details})
        self._say(f"error: {message}")


def stoppable_progress(reporter: Reporter | None, should_stop: Callable[[], bool] | None,
                       phase: str, stopped: str, bits: int | None = None
                       ) -> Callable[[int, int], None]:
    """A progress(done, total) callback for a long phase: reports it as `phase` (of the
    `bits`-bit model, if given), then raises Stopped(stopped) once should_stop() says so
    (`stopped` tells where the run stopped)."""

    def progress(done: int, total: int) -> None:
        if reporter:
            reporter.progress(phase, done, total, bits=bits)
        if should_stop and should_stop():
            raise Stopped(stopped)

    return progress


class StopFlag:
    """SIGINT / SIGTERM (and with watch_stdin, a "stop" line on stdin) set a flag that the long
    loops poll, so that training can checkpoint and exit."""

    def __init__(self) -> None:
        self.stopped = False
        self._previous: dict[int, Any] = {}
        self.reader: threading.Thread | None = None  # watch_stdin's

    def __call__(self) -> bool:
        return self.stopped

    def request(self) -> None:
        """Stop as on a signal (Reporter.on_reader_gone: nobody reads the progress any more)."""
        self.stopped = True

    def _handle(self, signum, frame) -> None:
        self.stopped = True

    def install(self) -> StopFlag:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (tests): polling still works
                pass
        return self

    def watch_stdin(self, stream: Any = None) -> StopFlag:
        """A line "stop" on stdin sets the flag too: the desktop app's stop request, the one a
        console program gets on Windows (QProcess.terminate() posts WM_CLOSE there, which a
        console program never sees). Read on a daemon thread, from the file descriptor (a
        thread blocked in sys.stdin's buffered reader can abort the interpreter's exit)."""
        try:
            fd = (stream or sys.stdin).fileno()
        except (AttributeError, OSError, ValueError):  # no stdin (pythonw), or a test's capture
            return self
        if os.isatty(fd):
            # A person at a terminal stops it with Ctrl-C: reading the terminal would take
            # what they type for the shell, and stop a background job (`&`) on SIGTTIN.
            return self
        self.reader = threading.Thread(target=self._read_stop, args=(fd,), daemon=True,
                                       name="stop-request")
        self.reader.start()
        return self

    def _read_stop(self, fd: int) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(fd, 512)
            except OSError:
                return
            if not chunk:  # end of input (`< /dev/null`, a closed pipe): no request
                return
            *lines, pending = (pending + chunk).split(b"\n")
            if any(line.strip() == b"stop" for line in lines):
                self.stopped = True
                return
            pending = pending[-64:]  # a stream without newlines: only its end can matter

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
