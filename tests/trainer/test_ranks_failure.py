"""Under torchrun a failure on a rank other than 0 is said, with its rank, as rank 0 would say
it: two CPU processes in one gloo group run the documented fine-tuning command."""

from __future__ import annotations

import contextlib
import io
import json
import os
from functools import partial

import pytest
from fast_settings import FAST
from photos import make_photo
from two_ranks import on_two_ranks

from trainer.cli import main
from trainer.torchrun_env import launched_rank

STEPS = ["--set", "finetune.long_steps=2", "--set", "finetune.active_steps=2", "--set",
         "finetune.frozen_steps=2", "--set", "finetune.eval_every=2", "--set",
         "finetune.batch_size=4", *FAST]


def _run_where_rank_1_meets_a_bad_photo(albums: str, out: str, bad: str, rank: int) -> dict:
    # What torchrun gives each process (the helper has joined the group already).
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2",
                      TORCHELASTIC_RUN_ID="none")  # torchrun's own mark (its default --rdzv-id)
    if rank == 1:  # a photo that only this rank reads is damaged (as on a node of its own)
        from trainer import finetune

        real = finetune.load_uint8
        finetune.load_uint8 = lambda paths, spec: real([bad, *paths[1:]], spec)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["run", albums, "--out", out, "--bits", "12", "--mode", "finetune",
                     "--device", "cpu", "--progress", "json", *STEPS])
    return {"code": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


@pytest.mark.slow  # two processes loading the backbone: ~20-40 s on the shared CI machine
def test_a_failure_on_rank_1_is_said_with_its_rank(tmp_path):
    albums = tmp_path / "albums"
    for name in ("chelsea", "astronaut", "coffee"):
        for k in range(4):
            make_photo(albums / name / f"{name}-{k}.jpg", name, size=(64 + 8 * k, 48 + 8 * k))
    bad = tmp_path / "damaged.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not the rest of a JPEG")
    work = partial(_run_where_rank_1_meets_a_bad_photo, str(albums), str(tmp_path / "model"),
                   str(bad))
    r0, r1 = on_two_ranks(work, tmp_path)
    assert r1["code"] != 0
    said = [line for line in r1["stderr"].splitlines() if line.startswith("error: ")]
    assert len(said) == 1 and said[0].startswith(f"error: rank 1: {bad}: ")
    # the same sentence as an error event for the app, with its details and the rank
    (event,) = [json.loads(line) for line in r1["stdout"].splitlines()]
    assert event["event"] == "error" and event["rank"] == 1
    assert event["message"] == said[0].removeprefix("error: ")
    assert event["path"] == str(bad) and event["reason"]
    # Rank 0 reports the run as before (its own events, none with a rank).
    events = [json.loads(line) for line in r0["stdout"].splitlines()]
    assert events[0]["event"] == "start" and all("rank" not in e for e in events)
    assert r0["code"] != 0


def test_a_rank_reporter_sends_no_progress_but_says_its_failure(capsys):
    from trainer.progress import RankReporter

    for mode in ("bar", "json", "none"):
        reporter = RankReporter(3, mode)
        reporter.start(10, 2, "cuda:3")
        reporter.progress("train", 1, 4, stage=0, bits=24, loss=0.5)
        reporter.error("cuda:3 ran out of memory", problem="out-of-memory")
        reporter.done("model")
        out, err = capsys.readouterr()
        assert err == "error: rank 3: cuda:3 ran out of memory\n"
        assert [json.loads(line) for line in out.splitlines()] == (
            [{"event": "error", "message": "rank 3: cuda:3 ran out of memory", "rank": 3,
              "problem": "out-of-memory"}] if mode == "json" else [])


@pytest.mark.parametrize(("value", "rank"), [("1", 1), (" 2", 2), ("0", 0), ("-1", 0),
                                              ("x", 0), ("²", 0)])
def test_rank_is_read_as_torch_reads_it(value, rank, tmp_path, monkeypatch, capsys):
    # torch's env:// reads int(RANK); "²" passes str.isdigit() but not int(): no traceback
    monkeypatch.setenv("RANK", value)
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "test")  # torchrun's own mark on its workers
    assert launched_rank() == rank
    code = main(["evaluate", str(tmp_path / "nothing"), "--bits", "12", "--progress", "json"])
    out, err = capsys.readouterr()
    if rank:  # evaluate is rank 0's alone: another rank ends at once, saying nothing
        assert (code, out) == (0, "") and "error" not in err
        return
    (event,) = [json.loads(line) for line in out.splitlines()]
    assert code != 0 and event["message"].startswith(str(tmp_path / "nothing"))
    assert err.startswith(f"error: {tmp_path / 'nothing'}")


def test_rank_and_world_size_without_torchrun_report_as_one_process(tmp_path, monkeypatch,
                                                                      capsys):
    """A SLURM script, a notebook or a shell may set RANK: the CLI took it for a torchrun rank
    and sent no progress, while the pipeline (which asks for torchrun's mark) did rank 0's work,
    its failure said as 'rank 1: ...'."""
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    code = main(["evaluate", str(tmp_path / "nothing"), "--bits", "12", "--progress", "json"])
    out, err = capsys.readouterr()
    (event,) = [json.loads(line) for line in out.splitlines()]
    assert code != 0 and event["message"].startswith(str(tmp_path / "nothing"))
    assert "rank" not in event and err.startswith(f"error: {tmp_path / 'nothing'}")
