"""Under torchrun a stage's record (validation mAP, bit importance, code health) is measured
once, on rank 0, and every rank keeps it: two CPU processes in one gloo group, each given
different photos on purpose."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest
from two_ranks import on_two_ranks

from trainer.training import HeadConfig, HeadTrainer

CFG = HeadConfig(long_bits=24, stages=(16, 12), long_steps=20, active_steps=6, merge_rounds=3,
                 frozen_steps=10, eval_every=10, patience=1000, batch_size=32)


class Counting(HeadTrainer):
    """Counts the bit-importance measurements this rank makes (merges and stage ends)."""

    measured = 0

    def importance(self) -> np.ndarray:
        self.measured += 1
        return super().importance()


def _stages_on_rank(rank: int) -> dict:
    # Different clusters and labels per rank: each rank's own validation mAP differs.
    rng = np.random.default_rng(10 + rank)
    y = rng.integers(0, 6, 300)
    x = 0.4 * rng.standard_normal((6, 32))[y] + rng.standard_normal((300, 32)) + 10.0
    t = Counting(x.astype(np.float32), y, np.arange(240), np.arange(240, 300), CFG)
    result = t.run()
    return {"stages": [asdict(s) for s in result.stages], "measured": t.measured,
            "own_val_map": t.val_map()}


@pytest.mark.slow  # two processes importing torch: 10-20 s on the shared CI machine
def test_rank_0_alone_measures_each_stage_and_every_rank_keeps_its_record(tmp_path):
    r0, r1 = on_two_ranks(_stages_on_rank, tmp_path)
    assert [s["bits"] for s in r0["stages"]] == [24, 16, 12]
    assert r0["stages"] == r1["stages"]
    # Rank 1's own photos score otherwise: what it keeps is rank 0's measurement.
    assert r1["own_val_map"] != r0["own_val_map"]
    assert r1["stages"][-1]["val_map"] == r0["own_val_map"]
    # 3 merge rounds in each of 2 stages, plus 3 stage ends, all on rank 0; none on rank 1.
    assert r0["measured"] == 9 and r1["measured"] == 0
