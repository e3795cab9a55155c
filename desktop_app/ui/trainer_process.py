"""Runs the trainer as a separate process (the app never imports torch) and turns its JSON-lines
progress protocol into Qt signals. See docs/design.md, "Trainer progress protocol"."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QTimer, Signal, Slot

from .. import paths
from ..install_hint import train_install_hint

log = logging.getLogger(__name__)

CANCEL_GRACE_MS = 15000  # asked to stop first: the trainer saves a resumable checkpoint
# Written to the trainer's stdin to stop it (`--progress json` watches for it): on Windows
# QProcess.terminate() posts WM_CLOSE, which a console program never sees; on POSIX SIGTERM
# is sent as well.
STOP_REQUEST = b"stop\n"
# The trainer prints its `error` event's message on stderr too, after this, for a person at a
# terminal: in its command line's words (its options), which the dialog words in its own.
ERROR_ECHO = "error: "
TRAINER_LOG = "trainer.log"  # in paths.log_dir(), beside the app's own log
# bytes; past this the log is moved to trainer.log.1, at a start and during a run (one that
# prints a warning in a loop for hours would fill the disk)
TRAINER_LOG_MAX = 2_000_000


@dataclass(frozen=True)
class Readiness:
    can_train: bool
    message: str  # empty when all is well
    gpu: bool


def trainer_readiness(find_spec: Callable = importlib.util.find_spec) -> Readiness:
    """Whether `python -m trainer` can run here, checked without importing torch."""
    if find_spec("trainer") is None:
        return Readiness(False, "The Lookalike trainer is not part of this installation, so "
                         "training is not available. Install it with "
                         f"{train_install_hint()}, then restart Lookalike.", False)
    if find_spec("torch") is None or find_spec("torchvision") is None:
        return Readiness(False, "Training needs the trainer extra (PyTorch), which is not "
                         f"installed. Install it with {train_install_hint()}, then restart "
                         "Lookalike.", False)
    gpu = bool(shutil.which("nvidia-smi")) or os.path.exists("/proc/driver/nvidia/version")
    message = "" if gpu else ("No NVIDIA GPU was found: training will run on the CPU, which "
                              "works but is much slower (expect minutes for a few hundred "
                              "photos, hours for many thousands).")
    return Readiness(True, message, gpu)


def trainer_log_path() -> Path:
    return paths.log_dir() / TRAINER_LOG


def signal_name(number: int) -> str:
    """What ended a process QProcess says crashed: on POSIX its exit code is the signal's
    number; Windows has no such signals, its exit code is then an exception code (NTSTATUS:
    0xC0000005, an access violation), negative as QProcess gives it."""
    if sys.platform == "win32":
        return f"exception code 0x{number & 0xFFFFFFFF:08X}"
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class OutputLog:
    """What the trainer prints, bar its progress lines, kept in a file: the dialog shows only the
    last lines of one run, and nothing of it once the app is closed, so a failure's message can
    name this file. A file that cannot be written is no reason to stop training."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self._file = None
        self._header = ""

    def open(self, header: str) -> None:
        self.close()
        self.path, path = None, trainer_log_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._open(path)
        except OSError as exc:
            log.warning("%s: cannot keep the trainer's output there (%s)", path, exc)
            return
        self.path, self._header = path, header
        self.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {header}")

    def _open(self, path: Path) -> None:
        if path.is_file() and path.stat().st_size > TRAINER_LOG_MAX:
            os.replace(path, path.with_name(path.name + ".1"))
        # Open for the whole run, closed at its end (no `with`: it spans many slots).
        self._file = open(path, "a", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115

    def write(self, line: str) -> None:
        if self._file is None:
            return
        try:
            self._file.write(line.rstrip("\n") + "\n")
            self._file.flush()  # read while the trainer runs, or after the app was killed
            if self._file.tell() > TRAINER_LOG_MAX:  # the run's earlier lines go to .1
                self._file.close()
                self._file = None
                self._open(self.path)
                self._file.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {self._header} "
                                 "(continued: its earlier output is in "
                                 f"{self.path.name}.1)\n")
                self._file.flush()
        except OSError as exc:  # a full disk: the dialog still shows every line
            log.warning("%s: cannot write the trainer's output (%s)", self.path, exc)
            self.close()

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None


class TrainerProcess(QObject):
    inspected = Signal(dict)  # {"photos", "labels", "per_label", "unreadable"}
    estimated = Signal(dict)  # the `estimate` event's fields (mode "estimate")
    event = Signal(dict)  # one protocol event: start / progress / done / error (a look inside
    # sends progress events too: its mode is "inspect")
    log_line = Signal(str)  # free-form stderr
    failed = Signal(str)  # could not start, or bad output
    finished = Signal(int, object)  # exit code, the "done" event (or None); not for inspect

    def __init__(self, python: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.python = python or sys.executable
        self._proc: QProcess | None = None
        self._mode = ""
        self._buffer = b""
        self._done: dict | None = None
        self._estimate: dict | None = None
        self._error: str | None = None
        self._crashed = False
        self._stopping = False  # cancel() was called for the process running now
        self._echoes: list[str] = []  # stderr lines that may copy the error event (ERROR_ECHO)
        self.output_log = OutputLog()
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.setInterval(CANCEL_GRACE_MS)
        self._kill_timer.timeout.connect(self._kill)

    @property
    def mode(self) -> str:
        """"inspect", "estimate" or "run": what the process started last does."""
        return self._mode

    @property
    def crashed(self) -> bool:
        """The process that finished last was killed by a signal (SIGKILL: out of memory, ended
        by another program...): its exit code then says nothing about why."""
        return self._crashed

    @property
    def log_path(self) -> Path | None:
        """The file that holds what the last process printed (None: it could not be written)."""
        return self.output_log.path

    def see_log(self) -> str:
        """Where a message sends the reader for the trainer's own words."""
        where = f" and in {self.log_path}" if self.log_path else ""
        return f"what it printed is in the log below{where}"

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.state() != QProcess.ProcessState.NotRunning

    def inspect(self, albums: str) -> None:
        # The protocol: its progress events say how far it got (thousands of photos on a NAS
        # take minutes), its done event holds what `inspect --json` prints.
        self._start("inspect", ["-m", "trainer", "inspect", albums, "--progress", "json"])

    def run(self, albums: str, out_dir: str, bits: int | None = None,
            flip_average: bool | None = None, compare_with: str | None = None) -> None:
        """flip_average None: what the run folder's settings say (off for a new one).
        compare_with: a model folder (the one in use) measured on the same held-out photos."""
        args = ["-m", "trainer", "run", albums, "--out", out_dir, "--progress", "json"]
        if bits:
            args += ["--bits", str(bits)]
        if flip_average is not None:
            args.append("--flip-average" if flip_average else "--no-flip-average")
        if compare_with:
            args += ["--compare-with", compare_with]
        self._start("run", args)

    def estimate(self, albums: str, out_dir: str | None, bits: int | None = None,
                 flip_average: bool | None = None, read_seconds: float | None = None) -> None:
        """Measure how long `run` would take (seconds of probing; docs/trainer.md): out_dir, a
        run that would resume; read_seconds, what reading the albums took (the look inside)."""
        args = ["-m", "trainer", "estimate", albums, "--progress", "json"]
        if out_dir:
            args += ["--out", out_dir]
        if bits:
            args += ["--bits", str(bits)]
        if flip_average is not None:
            args.append("--flip-average" if flip_average else "--no-flip-average")
        if read_seconds is not None:
            args += ["--read-seconds", f"{read_seconds:.1f}"]
        self._start("estimate", args)

    def cancel(self) -> None:
        if self.is_running():
            self._stopping = True
            self._ask_to_stop()  # the trainer stops cleanly (exit 130)
            if not self._kill_timer.isActive():  # pressed again: no new grace time
                self._kill_timer.start()

    def stop_and_wait(self, msecs: int = CANCEL_GRACE_MS) -> None:
        """The app is closing: ask the trainer to stop, then wait for it to write its
        checkpoint (destroying the QProcess would kill it at once); killed if it takes too
        long."""
        if not self.is_running():
            return
        proc = self._proc
        self._stopping = True
        self._ask_to_stop()
        proc.waitForBytesWritten(1000)  # no event loop runs to write the request
        if self._proc is not proc:  # it ended meanwhile: its finished signal came in the wait
            return
        if not proc.waitForFinished(msecs):
            proc.kill()
            proc.waitForFinished(3000)

    def _ask_to_stop(self) -> None:
        self._proc.write(STOP_REQUEST)  # `inspect` stops on it too (nothing to save)
        self._proc.terminate()  # SIGTERM on POSIX; on Windows a WM_CLOSE that goes unseen

    def _start(self, mode: str, args: list[str]) -> None:
        if self.is_running():
            self.failed.emit("The trainer is already running; cancel it first.")
            return
        self._mode, self._buffer, self._done, self._error = mode, b"", None, None
        self._estimate = None
        self._crashed, self._stopping, self._echoes = False, False, []
        self.output_log.open(" ".join([self.python, *args]))
        proc = QProcess(self)
        proc.setProgram(self.python)
        proc.setArguments(args)
        env = proc.processEnvironment()
        if env.isEmpty():
            from PySide6.QtCore import QProcessEnvironment
            env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")  # progress lines arrive as they are printed
        # The app's trainer is one process, never a torchrun rank: started where these are set
        # (inside a torchrun job, by a SLURM script, from a shell), it would fail to join their
        # process group or wait there for the other ranks, and a RANK other than 0 sends none
        # of the progress or `done` events.
        for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK",
                     "ROLE_RANK", "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID"):
            env.remove(name)
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._on_stdout)
        proc.readyReadStandardError.connect(self._on_stderr)
        proc.finished.connect(self._on_finished)
        proc.errorOccurred.connect(self._on_error)
        self._proc = proc
        proc.start()

    @Slot()
    def _on_stdout(self) -> None:
        self._buffer += bytes(self._proc.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._handle_line(line)

    def _handle_line(self, line: bytes) -> None:
        text = line.decode("utf-8", "replace").strip()
        if not text:
            return
        try:
            event = json.loads(text)
        except json.JSONDecodeError:
            event = None
        if not isinstance(event, dict):  # not protocol: show it as log
            self.output_log.write(text)
            self.log_line.emit(text)
            return
        if event.get("event") != "progress":  # start, error, done: the file says how it went
            self.output_log.write(text)
        if event.get("event") == "done":
            self._done = event
        elif event.get("event") == "estimate":
            self._estimate = event
        elif event.get("event") == "error":
            self._error = str(event.get("message", "the trainer reported an error"))
        self.event.emit(event)

    @Slot()
    def _on_stderr(self) -> None:
        text = bytes(self._proc.readAllStandardError()).decode("utf-8", "replace")
        for line in text.splitlines():
            self.output_log.write(line)
            if self._mode == "run" and line.startswith(ERROR_ECHO):
                self._echoes.append(line)  # held: the `error` event may say it
            elif line.strip():
                self.log_line.emit(line)

    @Slot(QProcess.ProcessError)
    def _on_error(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.output_log.write(f"--- could not start: {self._proc.errorString()}")
            self.output_log.close()
            self.failed.emit(f"Could not start the trainer ({self.python} -m trainer): "
                             f"{self._proc.errorString()}. Install it with "
                             f"{train_install_hint()}.")
            self._proc = None

    @Slot(int, QProcess.ExitStatus)
    def _on_finished(self, code: int, status) -> None:
        self._kill_timer.stop()
        self._crashed = status == QProcess.ExitStatus.CrashExit
        self._on_stdout()
        if self._buffer.strip():
            self._handle_line(self._buffer)
            self._buffer = b""
        self.output_log.write(f"--- killed by {signal_name(code)}" if self._crashed
                              else f"--- exit code {code}")
        self.output_log.close()
        if self._mode == "inspect":
            self._finish_inspect(code)
        elif self._mode == "estimate":
            # Stopped (another look inside, other albums, Start, closing), what it measured
            # is no longer asked for, even when it had sent it before it ended.
            if code == 0 and self._estimate is not None and not self._stopping:
                self.estimated.emit({k: v for k, v in self._estimate.items() if k != "event"})
            elif not self._stopping:
                how = self._error or (f"killed by {signal_name(code)}" if self._crashed
                                      else f"exit code {code}")
                where = f"; what it printed is in {self.log_path}" if self.log_path else ""
                self.failed.emit(f"How long training would take could not be measured "
                                 f"({how}){where}.")
            self.finished.emit(code, self._done)  # (a measure asked for meanwhile may start)
        else:
            # Only the copy of what the event said is left out: another line that begins
            # with "error: " (a library's, say) is the log's.
            echo = f"{ERROR_ECHO}{self._error}".splitlines()[0] if self._error else None
            for line in self._echoes:
                if line != echo:
                    self.log_line.emit(line)
            self.finished.emit(code, self._done)
        self._proc = None

    def _finish_inspect(self, code: int) -> None:
        # `trainer inspect --progress json` ends with a done event holding the counts, or an
        # error event (bad albums: exit code 2; stopped: 130).
        if code == 0 and self._done is not None and not self._error:
            self.inspected.emit({k: v for k, v in self._done.items() if k != "event"})
        elif self._stopping:  # the dialog was closed: no failure of the albums or the trainer
            self.failed.emit("Looking inside the albums was stopped. Press Look inside to "
                             "look again.")
        elif self._error:
            self.failed.emit(self._error)
        else:
            how = f"killed by {signal_name(code)}" if self._crashed else f"exit code {code}"
            self.failed.emit(f"The trainer could not look inside the albums ({how}); "
                             f"{self.see_log()}.")

    @Slot()
    def _kill(self) -> None:
        if self.is_running():
            log.warning("trainer did not stop within %d s of being asked to; killing it",
                        CANCEL_GRACE_MS // 1000)
            self._proc.kill()
