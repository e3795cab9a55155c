"""A fine-tuning stopped and resumed draws the flips, shifts, crops and in-network random draws
(stochastic depth) that one run straight through draws, and so ends with the same weights."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from tiny_finetune import tiny_finetuner

from trainer.finetune import FinetuneTrainer
from trainer.training import HeadConfig, Stopped

CFG = HeadConfig(long_bits=12, stages=(), long_steps=8, eval_every=4, patience=2, batch_size=8)


def make(augment: bool | str) -> FinetuneTrainer:
    return tiny_finetuner(CFG, augment)


def weights(trainer: FinetuneTrainer) -> dict[str, torch.Tensor]:
    return {**{"backbone." + k: v for k, v in trainer.backbone.state_dict().items()},
            **{"net." + k: v for k, v in trainer.net.state_dict().items()}}


@pytest.mark.parametrize("augment", [True, "crop"], ids=["flip-shift", "crop"])
def test_a_resumed_fine_tuning_ends_with_the_weights_of_one_run_straight_through(augment):
    straight = make(augment)
    straight.run()

    saved = io.BytesIO()
    calls = {"n": 0}

    def stop_after_three_steps() -> bool:
        calls["n"] += 1
        return calls["n"] == 4

    def save(t) -> None:
        saved.seek(0)
        saved.truncate()
        torch.save(t.state(), saved)

    with pytest.raises(Stopped):
        make(augment).run(should_stop=stop_after_three_steps, checkpoint=save)
    saved.seek(0)
    resumed = make(augment)
    torch.manual_seed(123)  # a new process: its global generator is no help
    resumed.load_state(torch.load(saved, weights_only=True))
    assert resumed.step == 3
    resumed.run()

    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in straight.history]
    want = weights(straight)
    for name, value in weights(resumed).items():
        assert torch.equal(value, want[name]), name


@pytest.mark.parametrize("augment", [True, "crop"], ids=["flip-shift", "crop"])
def test_every_rank_draws_its_own_augmentation_and_rank_0_those_of_one_device(monkeypatch,
                                                                               augment):
    trainer = make(augment)
    trainer.step = 5
    photos = np.arange(8)
    alone = trainer._step_rng(7).random(4)
    assert np.array_equal(alone, np.random.default_rng((CFG.seed, 5, 7)).random(4))
    alone_pixels = trainer._pixels(photos, train=True)
    monkeypatch.setattr(FinetuneTrainer, "distributed", property(lambda self: True))
    monkeypatch.setattr(torch.distributed, "get_rank", lambda: 0)
    assert np.array_equal(trainer._step_rng(7).random(4), alone)
    assert torch.equal(trainer._pixels(photos, train=True), alone_pixels)
    monkeypatch.setattr(torch.distributed, "get_rank", lambda: 1)
    assert not np.array_equal(trainer._step_rng(7).random(4), alone)
    # the photos themselves: rank 1 flips, shifts or crops the same photos otherwise
    assert not torch.equal(trainer._pixels(photos, train=True), alone_pixels)


def test_the_flips_and_shift_of_a_step_leave_torchs_global_generator_out():
    trainer = make(True)
    trainer.step = 5
    photos = np.arange(8)
    torch.manual_seed(1)
    one = trainer._pixels(photos, train=True)
    torch.manual_seed(2)
    assert torch.equal(trainer._pixels(photos, train=True), one)
    plain = trainer._pixels(photos, train=False)
    assert not torch.equal(one, plain)  # augmented all the same


def test_each_photo_is_flipped_half_the_time_apart_from_the_batchs_shift():
    trainer = make(True)
    photos = np.arange(8)
    plain = trainer._pixels(photos, train=False)
    padded = [F.pad(p, (4, 4, 4, 4), mode="reflect") for p in (plain, plain.flip(3))]
    flips = []
    for step in range(40):
        trainer.step = step
        x = trainer._pixels(photos, train=True)
        shifts = [(dy, dx) for dy in range(8) for dx in range(8)
                  if any(torch.equal(x[0], p[0, :, dy:dy + 32, dx:dx + 32]) for p in padded)]
        assert len(shifts) == 1  # one shift for the whole batch
        (dy, dx), = shifts
        unflipped, flipped = (p[..., dy:dy + 32, dx:dx + 32] for p in padded)
        for i in photos:
            flips.append(not torch.equal(x[i], unflipped[i]))
            assert torch.equal(x[i], flipped[i] if flips[-1] else unflipped[i])
    assert 0.4 < np.mean(flips) < 0.6  # 320 photos: a fair coin each,
    assert sum(len(set(flips[k:k + 8])) == 2 for k in range(0, 320, 8)) > 35  # not per batch
