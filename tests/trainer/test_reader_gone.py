"""When the desktop app that started the trainer dies (a crash, kill -9), the pipe of the
trainer's progress breaks: its next progress line died of a BrokenPipeError (exit 1) and kept
only the last periodic checkpoint. Nobody reading is now a stop request: the checkpoint is saved
as on Ctrl-C, exit 130, and nothing more is written there (no traceback, and no "Exception
ignored ... BrokenPipeError" from Python's flush at exit)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from fast_settings import FAST

from trainer.progress import Reporter, StopFlag

# A first phase long enough to be running when the reader goes (no early stop: mAP 1 from the
# start on these photos).
TRAINING = [*FAST, "--set", "head.long_steps=100000", "--set", "head.patience=100000"]


class GonePipe(io.StringIO):
    """A stream whose reader is gone, without a file descriptor (as a test's capture)."""

    def __init__(self) -> None:
        super().__init__()
        self.tries = 0

    def write(self, text: str) -> int:
        self.tries += 1
        raise BrokenPipeError(32, "Broken pipe")


def test_a_json_stream_without_a_reader_is_a_stop_request_and_is_no_longer_written():
    stream, flag = GonePipe(), StopFlag()
    reporter = Reporter("json", stream, min_interval=0)
    reporter.on_reader_gone = flag.request
    reporter.progress("train", 1, 10, loss=0.5)  # no BrokenPipeError
    assert flag() and stream.tries == 1
    reporter.progress("train", 2, 10, loss=0.5)
    reporter.error("training was stopped")
    reporter.done()
    assert stream.tries == 1


def test_a_bar_without_a_reader_is_a_stop_request(monkeypatch):
    stream, flag = GonePipe(), StopFlag()
    monkeypatch.setattr(sys, "stderr", stream)
    reporter = Reporter("bar", min_interval=0)
    reporter.on_reader_gone = flag.request
    reporter.start(15, 3, "cpu")
    assert flag()
    for step in range(1, 11):
        reporter.progress("train", step, 10, loss=0.5, val_map=0.5)
    reporter.log("12 bits: validation mAP 0.5")
    reporter.error("training was stopped")
    assert stream.tries == 1


def test_a_broken_stderr_beside_json_progress_still_read_is_no_stop_request(monkeypatch):
    """With --progress json the progress is stdout: a log line that finds stderr's pipe broken
    stopped the run ("stopped while evaluating...", exit 130) though stdout was still read."""
    stderr, stream, flag = GonePipe(), io.StringIO(), StopFlag()
    monkeypatch.setattr(sys, "stderr", stderr)
    reporter = Reporter("json", stream, min_interval=0)
    reporter.on_reader_gone = flag.request
    reporter.log("the albums are unchanged: its photos are not read again")
    assert not flag() and stderr.tries == 1
    reporter.progress("train", 1, 10, loss=0.5)
    reporter.log("12 bits: validation mAP 0.5")
    reporter.done()
    assert stderr.tries == 1  # no longer written
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events == ["progress", "done"]


def test_the_broken_pipe_is_pointed_at_nothing(tmp_path):
    """What is still buffered for it, and later writes, go to the null device, so that Python's
    own flush at exit does not fail again."""
    read_fd, write_fd = os.pipe()
    stream = open(write_fd, "w", buffering=1)  # noqa: SIM115 (closed below)
    os.close(read_fd)  # the reader is gone
    stopped = []
    reporter = Reporter("json", stream, min_interval=0)
    reporter.on_reader_gone = lambda: stopped.append(1)
    reporter.progress("train", 1, 10)
    stream.write("more\n")
    stream.flush()  # no BrokenPipeError: fd now writes to the null device
    stream.close()
    assert stopped == [1]


def began_training(seen: bytes, progress: str) -> bool:
    if progress == "json":  # one line
        return bool(seen) and json.loads(seen).get("phase") == "train"
    return b"\rtrain:" in seen  # the bar (tqdm draws with \r)


def train_until_the_reader_goes(albums, out, progress: str) -> tuple[int, str]:
    """A real run whose reader (stdout for json, stderr for the bar) closes its end of the
    pipe once training has begun; (exit code, what the other stream got)."""
    other = out.parent / "other-stream.txt"
    with open(other, "wb") as kept:
        pipes = ({"stdout": subprocess.PIPE, "stderr": kept} if progress == "json" else
                 {"stdout": kept, "stderr": subprocess.PIPE})
        proc = subprocess.Popen([sys.executable, "-m", "trainer", "run", str(albums), "--out",
                                 str(out), "--bits", "12", "--progress", progress, *TRAINING],
                                stdin=subprocess.DEVNULL, **pipes)
        try:
            read = proc.stdout if progress == "json" else proc.stderr
            seen = b""
            while not began_training(seen, progress):
                chunk = read.readline() if progress == "json" else os.read(read.fileno(), 4096)
                assert chunk, f"the run ended before training: {seen[-2000:]!r}"
                seen = chunk if progress == "json" else seen + chunk
            read.close()  # the app died
            code = proc.wait(timeout=600)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return code, other.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("progress", ["json", "bar"])
def test_a_run_whose_reader_dies_saves_its_checkpoint_and_stops(albums, tmp_path, progress):
    out = tmp_path / "model"
    code, other = train_until_the_reader_goes(albums, out, progress)
    assert code == 130, other[-3000:]
    assert (out / "training" / "checkpoint.pt").is_file()
    assert not (out / "model.onnx").exists()
    assert "Traceback" not in other and "Exception ignored" not in other, other[-3000:]
    if progress == "json":  # stderr still has a reader: it is told why
        assert "error: training was stopped; a checkpoint was saved" in other
