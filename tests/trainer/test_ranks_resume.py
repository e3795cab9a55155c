"""Under torchrun a fine-tuning stopped mid-stage and resumed, every rank from rank 0's
checkpoint, ends with the weights of one run straight through: two CPU processes in one gloo
group, stopped as the single-process test_finetune_resume_repeats stops them."""

from __future__ import annotations

from functools import partial

import pytest
import torch
from tiny_finetune import tiny_finetuner
from two_ranks import on_two_ranks

from trainer.finetune import FinetuneTrainer
from trainer.training import HeadConfig, Stopped

# A merge stage, so that the stop falls after merges and within a frozen phase's selection.
CFG = HeadConfig(long_bits=12, stages=(10,), long_steps=8, active_steps=4, merge_rounds=2,
                 frozen_steps=8, eval_every=4, patience=2, batch_size=8)


def make() -> FinetuneTrainer:
    return tiny_finetuner(CFG, augment=True)


def _fine_tune_on_rank(stop_after: int, checkpoint: str, rank: int) -> dict:
    trainer = make()
    if stop_after:
        calls = {"n": 0}

        def stop() -> bool:
            calls["n"] += 1
            return calls["n"] == stop_after + 1

        def save(t: FinetuneTrainer) -> None:
            if rank == 0:  # as finetune_run saves
                torch.save(t.state(), checkpoint)

        with pytest.raises(Stopped):
            trainer.run(should_stop=stop, checkpoint=save)
        torch.distributed.barrier()  # rank 0's checkpoint is on disk
        trainer = make()
        torch.manual_seed(123 + rank)  # a new process: its global generator is no help
        trainer.load_state(torch.load(checkpoint, weights_only=True))
    trainer.run()
    return {"weights": {**{"backbone." + k: v for k, v in trainer.backbone.state_dict().items()},
                        **{"net." + k: v for k, v in trainer.net.state_dict().items()}},
            "losses": [h["loss"] for h in trainer.history]}


@pytest.mark.slow  # two processes, twice: ~30 s on the shared CI machine
@pytest.mark.parametrize("stop_after", [3, 10, 15], ids=["long-code", "merging", "selecting"])
def test_a_resumed_fine_tuning_on_two_ranks_ends_as_one_run_straight_through(tmp_path,
                                                                             stop_after):
    (tmp_path / "straight").mkdir()
    (tmp_path / "resumed").mkdir()
    straight, _ = on_two_ranks(partial(_fine_tune_on_rank, 0, ""), tmp_path / "straight")
    r0, r1 = on_two_ranks(partial(_fine_tune_on_rank, stop_after,
                                  str(tmp_path / "resumed" / "checkpoint.pt")),
                          tmp_path / "resumed")
    assert r0["losses"] == straight["losses"]
    for name, value in straight["weights"].items():
        assert torch.equal(r0["weights"][name], value), name
        assert torch.equal(r1["weights"][name], value), name  # every rank, not rank 0 alone
