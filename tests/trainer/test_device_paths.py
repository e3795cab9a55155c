"""The trainer's GPU paths that a machine without a GPU can still check: the device chosen when
CUDA is reported but cannot run, `cuda` under torchrun, a GPU running out of memory (said in one
sentence, the checkpoint kept), ranks that agree on model selection. Tests marked `gpu` run the
same paths on a real CUDA device (`pytest tests/trainer/test_device_paths.py -m gpu`)."""

from __future__ import annotations

import hashlib
import json
import logging

import numpy as np
import pytest
import torch
from fast_settings import FAST
from tiny_finetune import stop_fine_tuning_after
from two_ranks import on_two_ranks

from trainer import devices
from trainer.albums import AlbumError
from trainer.cli import main
from trainer.errors import TrainerError
from trainer.out_of_memory import SayOutOfMemory, is_out_of_memory
from trainer.pipeline import choose_device
from trainer.training import HeadConfig, HeadTrainer

# What a card this torch build has no kernels for says (a Kepler card under a recent torch).
NO_KERNEL = ("CUDA error: no kernel image is available for execution on the device\n"
             "CUDA kernel errors might be asynchronously reported at some other API call, so the "
             "stacktrace below might be incorrect.")
OOM = ("CUDA out of memory. Tried to allocate 96.00 MiB. GPU 0 has a total capacity of 3.81 GiB "
       "of which 12.25 MiB is free. Of the allocated memory 3.1 GiB is allocated by PyTorch")
FINETUNE_STEPS = ["--set", "finetune.long_steps=4", "--set", "finetune.active_steps=2", "--set",
                  "finetune.frozen_steps=2", "--set", "finetune.eval_every=2", "--set",
                  "finetune.batch_size=4"]


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def cuda_that_cannot_run(monkeypatch):
    """torch reports a CUDA GPU, and its first operation fails as on a card without kernels."""
    real_ones = torch.ones

    def ones(*args, device=None, **kwargs):
        if device is not None and str(device).startswith("cuda"):
            raise RuntimeError(NO_KERNEL)
        return real_ones(*args, device=device, **kwargs)

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch, "ones", ones)
    devices.cuda_problem.cache_clear()
    devices._SAID.clear()
    yield
    devices.cuda_problem.cache_clear()


@pytest.fixture
def working_cuda(monkeypatch):
    """Two CUDA GPUs that run (the probe says so): for the choice of device only."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(devices, "cuda_problem", lambda device: "")
    monkeypatch.delenv("LOCAL_RANK", raising=False)


# -- the device ---------------------------------------------------------------------------------
def test_auto_trains_on_the_cpu_when_the_reported_cuda_gpu_cannot_run(cuda_that_cannot_run,
                                                                      caplog):
    with caplog.at_level(logging.WARNING):
        assert choose_device("auto") == "cpu"
        assert choose_device("auto") == "cpu"
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1  # once, though every step chooses the device again
    assert "a CUDA GPU is present but cannot run (RuntimeError: CUDA error: no kernel image is " \
           "available for execution on the device)" in said[0]
    assert "training runs on the CPU" in said[0]


def test_cuda_asked_for_that_cannot_run_is_refused_before_the_albums_are_read(
        cuda_that_cannot_run, albums, tmp_path, capsys):
    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--device", "cuda",
                 "--progress", "json"]) == 2
    run = events(capsys.readouterr().out)
    assert [e["event"] for e in run] == ["error"]
    assert run[0]["message"] == (
        "the CUDA GPU cuda cannot run (RuntimeError: CUDA error: no kernel image is available "
        "for execution on the device). Update its NVIDIA driver or install a torch build made "
        "for this card, or train on the CPU with --device cpu.")
    assert run[0]["option"] == "--device"
    assert not out.exists()


def test_a_cuda_gpu_number_this_machine_lacks_is_refused(working_cuda):
    """torch would fail at the first tensor with "invalid device ordinal"."""
    with pytest.raises(AlbumError) as caught:
        choose_device("cuda:2")
    assert str(caught.value) == ("training on cuda:2 was asked for but this machine has 2 CUDA "
                                 "GPUs (cuda:0 to cuda:1). Use --device cuda:0 to cuda:1, cuda "
                                 "or auto.")
    assert caught.value.option == "--device"
    assert choose_device("cuda:1") == "cuda:1"


def test_cuda_under_torchrun_takes_the_gpu_of_its_process(working_cuda, monkeypatch):
    """`--device cuda` (or device = "cuda" in a saved config.toml) put every rank on the first
    GPU, and torch.cuda.set_device refused it without an index."""
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert choose_device("cuda") == "cuda:1"
    assert choose_device("auto") == "cuda:1"
    monkeypatch.delenv("LOCAL_RANK")
    assert choose_device("cuda") == "cuda"


def test_auto_under_torchrun_refuses_a_gpu_that_cannot_run(cuda_that_cannot_run, monkeypatch):
    """A rank on the CPU alone would join the others' NCCL group with gloo and wait there."""
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(AlbumError) as caught:
        choose_device("auto")
    assert str(caught.value).startswith(
        "the CUDA GPU cuda:0 cannot run (RuntimeError: CUDA error: no kernel image is available")
    assert caught.value.option == "--device"
    monkeypatch.setenv("WORLD_SIZE", "1")  # torchrun with one process: nobody waits for it
    assert choose_device("auto") == "cpu"


def test_a_local_rank_beyond_the_gpus_the_process_sees_is_refused_naming_torchrun(
        working_cuda, monkeypatch):
    """One GPU visible to each process (CUDA_VISIBLE_DEVICES), two processes: rank 1's cuda:1
    does not exist; --device cuda or auto, as the other message says, would be the same."""
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    for pref in ("auto", "cuda"):
        with pytest.raises(AlbumError) as caught:
            choose_device(pref)
        assert str(caught.value) == (
            "torchrun started the process of LOCAL_RANK 1, whose GPU is cuda:1, but this "
            "process sees 1 CUDA GPU (cuda:0). Start at most 1 process per machine (torchrun "
            "--nproc_per_node 1), or let each process see every GPU (CUDA_VISIBLE_DEVICES).")
        assert caught.value.option == "--device"


# -- out of memory ------------------------------------------------------------------------------
def test_only_out_of_memory_errors_are_reworded(tmp_path):
    assert is_out_of_memory(torch.cuda.OutOfMemoryError(OOM))
    assert is_out_of_memory(RuntimeError("MPS backend out of memory (MPS allocated: 17.9 GB)"))
    assert not is_out_of_memory(RuntimeError("CUDA error: an illegal memory access"))
    guard = SayOutOfMemory(tmp_path, "cuda:0", "fine-tuning the backbone", 1,
                           "finetune.batch_size")
    with pytest.raises(ValueError, match="other"), guard:
        raise ValueError("other")
    with pytest.raises(TrainerError) as caught, guard:
        raise torch.cuda.OutOfMemoryError(OOM)
    assert str(caught.value) == (f"{tmp_path}: cuda:0 ran out of memory while fine-tuning the "
                                 "backbone on batches of 1 photo. Run the same command again "
                                 "on the CPU (--device cpu).")  # no smaller batch than 1


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow  # fine-tunes a 32 px backbone on the CPU for a few steps, twice: ~10-20 s
def test_fine_tuning_out_of_memory_is_one_sentence_and_keeps_the_checkpoint(
        albums, tmp_path, capsys, monkeypatch):
    from trainer.finetune import FinetuneTrainer
    from trainer.progress import StopFlag

    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none"]) == 0
    train = ["train", str(run_dir), "--mode", "finetune", "--device", "cpu", "--progress",
             "json", "--bits", "12", *FAST, *FINETUNE_STEPS]
    stop_fine_tuning_after(monkeypatch, 2)  # a checkpoint of step 2 is on disk
    assert main(train) == 130
    checkpoint = run_dir / "finetune-checkpoint.pt"
    before = sha(checkpoint)

    def out_of_memory(self):
        raise torch.cuda.OutOfMemoryError(OOM)

    monkeypatch.setattr(StopFlag, "__call__", lambda self: False)
    monkeypatch.setattr(FinetuneTrainer, "train_step", out_of_memory)
    capsys.readouterr()
    assert main(train) == 2
    error = events(capsys.readouterr().out)[-1]
    assert error["event"] == "error"
    assert error["message"] == (
        f"{run_dir}: cpu ran out of memory while fine-tuning the backbone on batches of 4 "
        "photos. Run the same command again with a smaller batch (--set "
        "finetune.batch_size=2; fine-tuning then starts afresh) or on the CPU (--device cpu).")
    assert error["problem"] == "out-of-memory" and "option" not in error
    assert sha(checkpoint) == before  # nothing written over it
    assert not list(run_dir.glob("*.tmp"))


@pytest.mark.slow  # a frozen-mode training of a few steps: ~5-10 s
def test_feature_extraction_out_of_memory_keeps_the_features_extracted(albums, tmp_path, capsys,
                                                                       monkeypatch):
    from trainer.features import FeatureExtractor

    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none"]) == 0
    real_call = FeatureExtractor.__call__
    batches = []

    def second_batch_fails(self, pixels):
        batches.append(len(pixels))
        if len(batches) == 2:
            raise torch.cuda.OutOfMemoryError(OOM)
        return real_call(self, pixels)

    monkeypatch.setattr(FeatureExtractor, "__call__", second_batch_fails)
    train = ["train", str(run_dir), "--mode", "frozen", "--device", "cpu", "--bits", "12",
             "--progress", "json",
             *FAST, "--set", "train.batch_size=4"]
    assert main(train) == 2
    error = events(capsys.readouterr().out)[-1]
    assert error["message"] == (
        f"{run_dir}: cpu ran out of memory while extracting the backbone features on batches "
        "of 4 photos. Run the same command again with a smaller batch (--set "
        "train.batch_size=2; it goes on from the features extracted so far) or on the CPU "
        "(--device cpu).")
    from trainer.pipeline import features_cache_dir

    partial = list(features_cache_dir().glob("features-*.partial.npy"))
    assert len(partial) == 1 and np.load(partial[0]).shape[0] == 4


# -- several GPUs: ranks select the same model -------------------------------------------------
SELECT = HeadConfig(long_bits=24, stages=(16, 12), long_steps=30, active_steps=12,
                    merge_rounds=3, frozen_steps=30, eval_every=10, patience=1000, batch_size=32)


def _ranks_measure_apart(rank: int) -> dict:
    if rank == 1:  # as two GPUs may round apart: here, always best at the last evaluation
        HeadTrainer.val_map = lambda self: float(self.step)
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, 300)
    x = (3 * rng.standard_normal((4, 32))[y] + rng.standard_normal((300, 32)) + 10.0)
    result = HeadTrainer(x.astype(np.float32), y, np.arange(240), np.arange(240, 300),
                         SELECT).run()
    return {"head": result.head(12).state()}


@pytest.mark.slow  # two processes importing torch: 10-20 s on the shared CI machine
def test_ranks_keep_the_weights_rank_0_selects(tmp_path):
    r0, r1 = on_two_ranks(_ranks_measure_apart, tmp_path)
    for key in r0["head"]:
        torch.testing.assert_close(r0["head"][key], r1["head"][key], atol=1e-6, rtol=0)


# -- on a real CUDA GPU (skipped without one) ---------------------------------------------------
cuda_only = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.gpu
@cuda_only
def test_cuda_fine_tuning_with_amp_exports_and_its_checkpoint_resumes_on_the_cpu(
        albums, tmp_path, capsys, caplog):
    """float16 autocast + GradScaler, metrics in torch on the GPU, the export of a model
    tuned on the GPU (on the CPU), then the CUDA-written checkpoint read on the CPU."""
    out = tmp_path / "model"
    run = ["run", str(albums), "--out", str(out), "--bits", "12", "--mode", "finetune",
           "--progress", "json", *FAST, *FINETUNE_STEPS]
    assert main([*run, "--device", "cuda"]) == 0, capsys.readouterr().out
    assert events(capsys.readouterr().out)[0]["device"] == "cuda"
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert main(["train", str(out / "training"), "--mode", "finetune", "--device", "cpu",
                     "--bits", "12", "--progress", "json", *FAST, *FINETUNE_STEPS]) == 0
    assert "training failed" not in capsys.readouterr().out
    # read and resumed, not set aside for a fine-tuning started afresh on the CPU
    assert "resumed fine-tuning from" in caplog.text


@pytest.mark.gpu
@cuda_only
def test_a_real_cuda_out_of_memory_is_one_sentence(albums, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none"]) == 0
    # ~70 MiB of an H200: less than the backbone, its gradients and Adam's state
    torch.cuda.set_per_process_memory_fraction(0.0005)
    try:
        code = main(["train", str(run_dir), "--mode", "finetune", "--device", "cuda",
                     "--bits", "12", "--progress", "json", "--set", "backbone.size=224",
                     *FAST[2:], *FINETUNE_STEPS])
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
        torch.cuda.empty_cache()
    error = events(capsys.readouterr().out)[-1]
    assert code == 2, error
    assert "cuda ran out of memory while fine-tuning the backbone" in error["message"]
    assert error["problem"] == "out-of-memory"


@pytest.mark.gpu
@cuda_only
def test_metrics_on_cuda_give_the_numpy_numbers():
    from trainer.metrics import bit_importance, mean_average_precision
    from trainer.metrics_torch import bit_importance_torch, mean_average_precision_torch

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, 600)
    codes = (rng.normal(size=(5, 32))[labels] + rng.normal(size=(600, 32)) * 1.2) > 0
    q, ql = codes[:150], labels[:150]
    assert mean_average_precision_torch(q, ql, codes, labels, exclude_self=True, device="cuda") \
        == pytest.approx(mean_average_precision(q, ql, codes, labels, exclude_self=True),
                         abs=1e-12)
    np.testing.assert_allclose(
        bit_importance_torch(q, ql, codes, labels, exclude_self=True, device="cuda"),
        bit_importance(q, ql, codes, labels, exclude_self=True), atol=1e-12)


@pytest.mark.gpu
@cuda_only
def test_cuda_features_are_the_cpu_features_within_tf32_rounding(albums):
    """Frozen mode extracts on the GPU (TF32 convolutions by default on Ampere and later) what
    the app then computes in float32 on the CPU through onnxruntime."""
    from trainer.features import FeatureExtractor, input_spec_for, photo_tensors

    spec = input_spec_for("efficientnet_lite0")
    pixels = photo_tensors(sorted(str(p) for p in albums.rglob("*.jpg"))[:8], spec)
    gpu = FeatureExtractor(device="cuda")(pixels)
    cpu = FeatureExtractor(device="cpu", engine="onnx", threads=1)(pixels)
    assert np.abs(gpu - cpu).max() <= 1e-2 * max(1.0, float(np.abs(cpu).max()))
