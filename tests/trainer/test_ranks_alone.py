"""Under torchrun, `prepare`, frozen-mode `train`, `evaluate` and `export` are rank 0's work
alone, as `run` does them: the other ranks end at once, with status 0, writing and saying
nothing (all of them would otherwise write the same run folder, feature cache and model folder
at once). Two CPU processes given torchrun's environment run the documented commands."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from functools import partial
from pathlib import Path

import pytest
import torch
from fast_settings import FAST
from two_ranks import on_two_ranks

from desktop_app.ui.trainer_process import TrainerProcess
from trainer.cli import main

WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def steps(albums: str, run_dir: str, model_dir: str) -> list[list[str]]:
    return [["prepare", albums, "--out", run_dir],
            ["train", run_dir, "--bits", "12", "--mode", "frozen", "--device", "cpu"],
            ["evaluate", run_dir, "--bits", "12"],
            ["export", run_dir, "--bits", "12", "--out", model_dir]]


def _watch_writes(root: str, written: list[str]) -> None:
    """Record every file this process opens for writing, renames, removes or makes under root
    (Python's audit events: torch.save, numpy and json all open through them)."""

    def under_root(path) -> str | None:
        if isinstance(path, (str, bytes, os.PathLike)):
            path = os.path.abspath(os.fsdecode(path))
            return path if path.startswith(root) else None
        return None

    def hook(event: str, args: tuple) -> None:
        if not written or written[0] != "watching":
            return
        if event == "open":
            path, mode, flags = args
            writes = any(c in mode for c in "wax+") if isinstance(mode, str) else \
                bool(flags & WRITES)
            if writes and (p := under_root(path)):
                written.append(f"open {p}")
        elif event in ("os.rename", "os.remove", "os.mkdir", "os.rmdir", "shutil.rmtree") and (
                p := under_root(args[0])):
            written.append(f"{event} {p}")

    sys.addaudithook(hook)


def _steps_on_rank(albums: str, run_dir: str, model_dir: str, home: str, store: str,
                   rank: int) -> dict:
    # torchrun gives each process its environment and no process group: that is what these
    # steps see (the helper's group is left until they are done).
    torch.distributed.destroy_process_group()
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", LOOKALIKE_HOME=home,
                      TORCHELASTIC_RUN_ID="none")  # torchrun's own mark (its default --rdzv-id)
    written = ["watching"]
    _watch_writes(str(Path(store).parent), written)
    codes, stdout, stderr = [], io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        for argv in steps(albums, run_dir, model_dir):
            try:
                codes.append(main([*argv, "--progress", "json", *FAST]))
            except SystemExit as exc:  # as `python -m trainer` ends
                codes.append(exc.code)
    written[0] = "done"
    left = not torch.distributed.is_initialized()
    torch.distributed.init_process_group("gloo", init_method=f"file://{store}", rank=rank,
                                         world_size=2)  # for the helper to destroy
    return {"codes": codes, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
            "written": written[1:], "left": left}


def outcome(run_dir: Path, model_dir: Path) -> dict:
    """What the steps leave: the manifest, the trained heads and checkpoint, the evaluation and
    the exported model (its graph and card)."""
    heads = torch.load(run_dir / "heads.pt", weights_only=True)["heads"]
    net = torch.load(run_dir / "checkpoint.pt", weights_only=True)["trainer"]["net"]
    card = json.loads((model_dir / "model.json").read_text())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    del manifest["created"]  # its time
    return {"manifest": manifest,
            "heads": heads, "net": net,
            "stages": json.loads((run_dir / "training.json").read_text())["stages"],
            "evaluation": json.loads((run_dir / "evaluation-12.json").read_text()),
            "onnx": (model_dir / "model.onnx").read_bytes(),
            "probe": card["probe"], "output": card["output"], "name": card["name"]}


def same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    return a == b


@pytest.mark.slow  # two processes importing torch, then a frozen run: ~30 s on CI
def test_under_torchrun_the_steps_run_on_rank_0_alone_and_the_others_end_quietly(
        tmp_path, albums, monkeypatch):
    work = tmp_path / "ranks"
    work.mkdir()
    two = work / "run"
    r0, r1 = on_two_ranks(partial(_steps_on_rank, str(albums), str(two), str(work / "model"),
                                  str(work / "home"), str(work / "store")), work)
    assert r0["codes"] == [0, 0, 0, 0], r0["stderr"]
    assert r1["codes"] == [0, 0, 0, 0], r1["stderr"]
    # Rank 1 wrote nothing (no manifest, feature cache, checkpoint, report or model) and said
    # nothing, on either stream; no step of these joined a process group.
    assert r1["written"] == []
    assert r1["stdout"] == "" and r1["stderr"] == ""
    assert r0["written"] and r0["left"] and r1["left"]
    assert [json.loads(line)["event"] for line in r0["stdout"].splitlines()][-1] == "done"

    # Rank 0's files are those one process writes with the same commands.
    monkeypatch.setenv("LOOKALIKE_HOME", str(tmp_path / "home-single"))
    for argv in steps(str(albums), str(tmp_path / "run"), str(tmp_path / "model")):
        assert main([*argv, "--progress", "none", *FAST]) == 0
    ours, alone = outcome(two, work / "model"), outcome(tmp_path / "run", tmp_path / "model")
    assert [key for key in ours if not same(ours[key], alone[key])] == []


# What torchrun sets and others set too: a SLURM script for its own job, a notebook, a shell.
NOT_TORCHRUN = {"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                "MASTER_PORT": "29500"}


def test_rank_and_world_size_without_torchrun_are_no_rank(tmp_path, albums, monkeypatch):
    """RANK and WORLD_SIZE that torchrun did not set (no TORCHELASTIC_RUN_ID): the steps run in
    full, as in any one process; they ended at once with status 0, nothing done, nothing said."""
    for name, value in NOT_TORCHRUN.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    run_dir, model_dir = tmp_path / "run", tmp_path / "model"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        codes = [main([*argv, "--progress", "none", *FAST])
                 for argv in steps(str(albums), str(run_dir), str(model_dir))]
    assert codes == [0, 0, 0, 0], stderr.getvalue()
    for made in (run_dir / "manifest.json", run_dir / "heads.pt", run_dir / "evaluation-12.json",
                 model_dir / "model.onnx"):
        assert made.is_file(), made


def test_the_app_starts_its_trainer_as_no_rank(qtbot, tmp_path, monkeypatch):
    """The app started inside a torchrun job (or where a script set RANK/WORLD_SIZE) starts its
    one trainer process without them: none of it is a rank to end as or a group to join."""
    for name, value in {**NOT_TORCHRUN, "TORCHELASTIC_RUN_ID": "job"}.items():
        monkeypatch.setenv(name, value)
    names = [*NOT_TORCHRUN, "TORCHELASTIC_RUN_ID"]
    python = tmp_path / "stand-in-python"  # in place of the app's python: says what it got
    python.write_text(f"#!{sys.executable}\nimport json, os\nprint(json.dumps({{'event': "
                      f"'done', 'env': [n for n in {names!r} if n in os.environ]}}))\n")
    python.chmod(0o755)
    process = TrainerProcess(python=str(python))
    with qtbot.waitSignal(process.finished, timeout=20000) as ended:
        process.run(str(tmp_path / "albums"), str(tmp_path / "out"))
    assert ended.args[0] == 0 and ended.args[1]["env"] == []
