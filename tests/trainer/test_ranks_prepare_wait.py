"""Under torchrun the other ranks wait while rank 0 reads the albums, which on a large albums
folder takes longer than the process group's timeout (10 min with NCCL, 30 with gloo): that
wait has a timeout of its own (pipeline.PREPARE_WAIT), so they did not die of it. Two CPU
processes in a gloo group of a 2-second timeout, rank 0's reading slowed past it."""

from __future__ import annotations

import contextlib
import io
import os
import time
from datetime import timedelta
from functools import partial

import pytest
import torch
from fast_settings import FAST
from two_ranks import on_two_ranks

from trainer import pipeline
from trainer.cli import main

GROUP_TIMEOUT = timedelta(seconds=2)
READING = 6  # seconds rank 0 reads the albums: past the group's timeout


def _run(albums: str, out: str, store: str, rank: int) -> dict:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2",
                      TORCHELASTIC_RUN_ID="none")
    # The helper's group, as torchrun's would be but for its short timeout.
    torch.distributed.destroy_process_group()
    torch.distributed.init_process_group("gloo", init_method=f"file://{store}-1", rank=rank,
                                         world_size=2, timeout=GROUP_TIMEOUT)
    if rank == 0:
        prepare = pipeline._prepare_unless_resumable

        def slow_prepare(*args, **kwargs):
            time.sleep(READING)  # a NAS: every photo read takes its time
            return prepare(*args, **kwargs)

        pipeline._prepare_unless_resumable = slow_prepare
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main(["run", albums, "--out", out, "--bits", "12", "--mode", "finetune",
                         "--device", "cpu", "--progress", "json", *FAST])
        except SystemExit as exc:
            code = exc.code
    if not torch.distributed.is_initialized():  # a group of their own for the helper to destroy
        torch.distributed.init_process_group("gloo", init_method=f"file://{store}-2", rank=rank,
                                             world_size=2)
    return {"code": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


@pytest.mark.slow  # two processes importing torch, and rank 0's slowed reading
def test_the_other_ranks_outwait_the_group_timeout_while_rank_0_reads(tmp_path):
    albums = tmp_path / "albums"
    albums.mkdir()  # no sub-folders: rank 0's reading fails, once it has taken its time
    r0, r1 = on_two_ranks(partial(_run, str(albums), str(tmp_path / "model"),
                                  str(tmp_path / "store")), tmp_path)
    assert r0["code"] != 0 and "sub-folders" in r0["stdout"]
    # Rank 1 waited past the group's timeout for rank 0's word, then ended quietly with it
    # (not with a timeout of its own: an error event carrying its rank).
    assert r1["code"] != 0
    assert r1["stdout"] == "" and "error" not in r1["stderr"]
