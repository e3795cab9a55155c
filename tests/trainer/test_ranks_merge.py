"""Under torchrun the NMLayer merges are decided once, on rank 0, and applied on every rank:
two CPU processes in one gloo group, each given different photos on purpose."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from two_ranks import on_two_ranks

from trainer.nmlayer import binary_correlation, plan_merges
from trainer.training import HeadConfig, HeadTrainer

CFG = HeadConfig(long_bits=24, stages=(16, 12), long_steps=20, active_steps=6, merge_rounds=3,
                 frozen_steps=10, eval_every=10, patience=1000, batch_size=32)


class Recording(HeadTrainer):
    """Records, at each merge, the merge this rank's own data would choose, the layer every
    rank ends with, and every bit-importance measurement made during a merge."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.local, self.layers, self.measured_in_merge = [], [], 0

    def importance(self) -> np.ndarray:
        if self.tasks[self.task_index][0] == "merge":
            self.measured_in_merge += 1
        return super().importance()

    def _merge(self, count: int) -> None:
        # HeadTrainer.importance, not ours: this look at the rank's own choice is the test's
        own = plan_merges(HeadTrainer.importance(self),
                          binary_correlation(self.outputs(self.val_idx)), count)
        self.local.append([list(m) for m in own])
        super()._merge(count)
        self.layers.append(self.net.nm_layers[-1].P.clone())


def _merge_on_rank(rank: int) -> dict:
    # Different clusters and labels per rank: each rank's validation photos rank bits its own way.
    rng = np.random.default_rng(10 + rank)
    y = rng.integers(0, 4, 300)
    x = (3 * rng.standard_normal((4, 32))[y] + rng.standard_normal((300, 32)) + 10.0)
    t = Recording(x.astype(np.float32), y, np.arange(240), np.arange(240, 300), CFG)
    t.run()
    return {"local": t.local, "layers": t.layers, "measured": t.measured_in_merge}


@pytest.mark.slow  # two processes importing torch: 10-20 s on the shared CI machine
def test_rank_0_alone_decides_the_merges_and_every_rank_applies_them(tmp_path):
    r0, r1 = on_two_ranks(_merge_on_rank, tmp_path)
    assert len(r0["layers"]) == len(r1["layers"]) == 6  # 3 merge rounds in each of 2 stages
    for p0, p1 in zip(r0["layers"], r1["layers"], strict=True):
        assert torch.equal(p0, p1)
    # Rank 1's own data would have merged other outputs: what it applied was rank 0's choice.
    assert r0["local"] != r1["local"]
    # Measured once, on rank 0: rank 1 did not repeat the work.
    assert r0["measured"] == 6 and r1["measured"] == 0
