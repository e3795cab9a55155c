"""A whole run on real photo files: prepare, train through two NMLayer stages (interrupted by
SIGTERM and resumed), evaluate, export, then load the export in the app's Encoder and compare
its codes with the trainer's torch pipeline."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest
import torch
from fast_settings import FAST

from desktop_app.core.encoder import load_encoder
from desktop_app.core.hashing import pack_bits
from desktop_app.core.model_card import read_card
from trainer import training
from trainer.cli import main
from trainer.features import photo_tensors
from trainer.pipeline import folded_head, load_backbone


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_run_interrupted_resumed_exported_and_loaded_by_the_app(albums, tmp_path, capsys,
                                                                 monkeypatch):
    out = tmp_path / "model"
    argv = ["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "json", *FAST]

    # 1. SIGTERM during training: clean stop, exit 130, a checkpoint, no model yet.
    original = training.HeadTrainer.train_step

    def step_then_terminate(self):
        loss = original(self)
        if self.step == 30:
            os.kill(os.getpid(), signal.SIGTERM)
        return loss

    monkeypatch.setattr(training.HeadTrainer, "train_step", step_then_terminate)
    assert main(argv) == 130
    first = events(capsys.readouterr().out)
    assert first[0] == {"event": "start", "photos": 15, "labels": 3, "device": "cpu"}
    assert first[-1]["event"] == "error" and "resume" in first[-1]["message"]
    assert (out / "training" / "checkpoint.pt").is_file()
    assert not (out / "model.onnx").exists()
    monkeypatch.setattr(training.HeadTrainer, "train_step", original)

    # 2. The same command resumes and finishes.
    assert main(argv) == 0
    run = events(capsys.readouterr().out)
    assert run[-1]["event"] == "done" and run[-1]["model_dir"] == str(out.resolve())
    train_steps = [e["step"] for e in run if e.get("phase") == "train"]
    assert min(train_steps) > 30  # resumed, not restarted
    assert {e["phase"] for e in first if e["event"] == "progress"} == {"prepare", "features",
                                                                       "train"}
    # features were cached by the first attempt: only the backbone's loading is said
    assert {e["phase"] for e in run if e["event"] == "progress" and "doing" not in e} == {
        "train", "evaluate", "export"}
    assert {e["phase"] for e in run if "doing" in e} == {"features"}
    # the long code, then two NMLayer stages (intermediate lengths appear while merging)
    assert {e["bits"] for e in first + run if e.get("phase") == "train"} >= {24, 16, 12}
    for e in run:
        if e["event"] == "progress":  # `doing` only in the events before a phase's steps
            assert set(e) - {"doing"} == {"event", "phase", "stage", "bits", "step", "steps",
                                          "loss", "val_map", "eta_s"}
    evaluation = run[-1]["evaluation"]
    assert evaluation["bits"] == 12 and 0.0 <= evaluation["map_all"] <= 1.0

    # 3. Evaluation report and plots.
    report = json.loads((out / "training" / "evaluation-12.json").read_text())
    assert len(report["bit_importance"]) == 12 and len(report["pr_curve"]["precision"]) == 13
    assert 0.0 <= report["map_all_tie_aware"] <= 1.0
    assert (out / "training" / "evaluation-12-pr.png").stat().st_size > 1000
    assert (out / "training" / "evaluation-12-importance.png").is_file()

    # 4. The app loads the export (hash + probe self-test) and reproduces the trainer's codes.
    card = read_card(out)
    assert card.bits == 12 and card.input.size == (32, 32)
    assert card.input.mean == (127.0, 127.0, 127.0) and card.input.std == (128.0, 128.0, 128.0)
    assert card.training["dataset_fingerprint"] and card.evaluation["map_all"] == \
        evaluation["map_all"]
    assert [s["bits"] for s in card.training["stages"]] == [24, 16, 12]
    encoder = load_encoder(out)
    photos = sorted(str(p) for p in albums.rglob("*.jpg"))
    pixels = photo_tensors(photos, card.input)  # the app's load_photo + preprocess
    app_codes = encoder.encode_pixels(pixels)
    from trainer.config import read_saved
    from trainer.pipeline import input_spec

    cfg = read_saved(out / "training" / "config.toml")
    backbone, head = load_backbone(out / "training", cfg), folded_head(out / "training", 12)
    with torch.no_grad():
        torch_codes = pack_bits((head(backbone(torch.from_numpy(pixels))) > 0).numpy())
    assert np.array_equal(app_codes, torch_codes)
    assert input_spec(cfg) == card.input
    # photos of the same subject are nearer than photos of different subjects, on average
    bits = np.unpackbits(app_codes, axis=1)[:, :12].astype(int)
    subject = [os.path.basename(p).rsplit("-", 1)[0] for p in photos]
    dist = np.abs(bits[:, None] - bits[None]).sum(-1)
    same = np.array([[a == b for b in subject] for a in subject])
    np.fill_diagonal(same, False)
    other = ~same
    np.fill_diagonal(other, False)
    assert dist[same].mean() < dist[other].mean()


@pytest.mark.slow  # four CLI steps, each loading the backbone: ~25 s on the shared machine
def test_step_commands_and_export_refusal(albums, tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none", *FAST]) == 0
    assert main(["train", str(run_dir), "--bits", "12", "--progress", "none"]) == 0
    assert main(["evaluate", str(run_dir), "--bits", "12", "--progress", "none"]) == 0
    assert main(["evaluate", str(run_dir), "--bits", "20", "--progress", "none"]) == 2
    # export refuses when the app's encoder would not reproduce the trainer's codes
    from trainer import export as export_mod

    real = export_mod._torch_outputs
    monkeypatch.setattr(export_mod, "_torch_outputs", lambda m, p, batch=16: -real(m, p, batch))
    assert main(["export", str(run_dir), "--bits", "12", "--out", str(tmp_path / "bad"),
                 "--progress", "none"]) == 1
    assert not (tmp_path / "bad" / "model.onnx").exists()
    monkeypatch.setattr(export_mod, "_torch_outputs", real)
    assert main(["export", str(run_dir), "--bits", "12", "--out", str(tmp_path / "good"),
                 "--progress", "none"]) == 0
    load_encoder(tmp_path / "good")


@pytest.mark.slow  # fine-tunes the backbone on a CPU for a few steps: ~15-30 s
def test_finetune_mode_on_cpu_exports_a_model_with_the_tuned_backbone(albums, tmp_path):
    out = tmp_path / "model"
    steps = ["--set", "finetune.long_steps=4", "--set", "finetune.active_steps=4", "--set",
             "finetune.frozen_steps=4", "--set", "finetune.eval_every=2", "--set",
             "finetune.batch_size=8", "--set", "finetune.lr_schedule=cosine", "--set",
             "head.cls_weight=1.0", "--set", "finetune.augment=crop", "--set",
             'finetune.mix="cutmix"']
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--mode", "finetune",
                 "--device", "cpu", "--progress", "none", *FAST, *steps]) == 0
    tuned = torch.load(out / "training" / "backbone.pt", weights_only=True)
    from trainer.backbones import build_backbone

    pretrained = build_backbone().state_dict()
    assert any(not torch.equal(tuned[k], pretrained[k]) for k in pretrained)
    card = read_card(out)
    assert card.training["mode"] == "finetune"
    encoder = load_encoder(out)
    photos = sorted(str(p) for p in albums.rglob("*.jpg"))[:5]
    pixels = photo_tensors(photos, card.input)
    from trainer.config import read_saved

    cfg = read_saved(out / "training" / "config.toml")
    assert cfg["finetune"]["mix"] == "cutmix"  # the run's settings are saved with it
    backbone, head = load_backbone(out / "training", cfg), folded_head(out / "training", 12)
    with torch.no_grad():
        torch_codes = pack_bits((head(backbone(torch.from_numpy(pixels))) > 0).numpy())
    assert np.array_equal(encoder.encode_pixels(pixels), torch_codes)


def _finetune_rank(rank: int, port: int, albums: str, out: str, steps: list) -> None:
    # What torchrun gives each process; the trainer joins the group from these.
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      LOCAL_RANK=str(rank), WORLD_SIZE="2",
                      TORCHELASTIC_RUN_ID="none")  # torchrun's own mark (its default --rdzv-id)
    torch.set_num_threads(1)
    code = main(["run", albums, "--out", out, "--bits", "12", "--mode", "finetune", "--device",
                 "cpu", "--progress", "none", *steps])
    if code != 0:
        raise SystemExit(code)


@pytest.mark.slow  # two processes fine-tuning the backbone on a CPU: ~30-60 s
def test_finetune_under_torchrun_with_two_cpu_processes(albums, tmp_path):
    """The documented multi-GPU command, on two CPU processes over gloo: rank 0 alone reads the
    albums, and DDP accepts that the backbone's ImageNet classifier gets no gradient."""
    import socket

    import torch.multiprocessing as mp

    out = tmp_path / "model"
    steps = ["--set", "finetune.long_steps=2", "--set", "finetune.active_steps=2", "--set",
             "finetune.frozen_steps=2", "--set", "finetune.eval_every=2", "--set",
             "finetune.batch_size=4", *FAST]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_finetune_rank, args=(port, str(albums), str(out), steps), nprocs=2, join=True)
    assert (out / "training" / "backbone.pt").is_file()
    assert read_card(out).training["mode"] == "finetune"
    load_encoder(out)
