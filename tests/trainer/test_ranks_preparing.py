"""Under torchrun only rank 0 reads the albums: when that fails, rank 0 alone says why and the
other ranks stop with it, quietly. Two CPU processes in one gloo group run the documented
command."""

from __future__ import annotations

import contextlib
import io
import json
import os
from functools import partial

import pytest
import torch
from fast_settings import FAST
from two_ranks import on_two_ranks

from trainer.cli import main


def _run(albums: str, out: str, store: str, rank: int) -> dict:
    # What torchrun gives each process (the helper has joined the group already).
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2",
                      TORCHELASTIC_RUN_ID="none")  # torchrun's own mark (its default --rdzv-id)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main(["run", albums, "--out", out, "--bits", "12", "--mode", "finetune",
                         "--device", "cpu", "--progress", "json", *FAST])
        except SystemExit as exc:  # as `python -m trainer` ends: its status is the exit code
            code = exc.code
    # Whether this rank left the group (NCCL warns on stderr at the exit of one that did not).
    left = not torch.distributed.is_initialized()
    if left:  # a group of their own for the helper to destroy
        torch.distributed.init_process_group("gloo", init_method=f"file://{store}", rank=rank,
                                             world_size=2)
    return {"code": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
            "left": left}


@pytest.mark.slow  # two processes importing torch: 10-20 s on the shared CI machine
def test_when_rank_0_cannot_read_the_albums_it_alone_says_why(tmp_path):
    albums = tmp_path / "albums"
    albums.mkdir()  # no sub-folders: no labels, so nothing to prepare
    r0, r1 = on_two_ranks(partial(_run, str(albums), str(tmp_path / "model"),
                                  str(tmp_path / "store")), tmp_path)
    # Both processes ended (on_two_ranks joined them), each with a failure status, and both
    # left the process group first, as a finished run does.
    assert r0["code"] != 0 and r1["code"] != 0
    assert r0["left"] and r1["left"]
    (event,) = [json.loads(line) for line in r0["stdout"].splitlines()]
    assert event["event"] == "error" and "rank" not in event
    assert event["message"].startswith(str(albums)) and "sub-folders" in event["message"]
    # Rank 1 says nothing of its own (no manifest it was never going to read), on either stream.
    assert r1["stdout"] == ""
    assert "error" not in r1["stderr"]
