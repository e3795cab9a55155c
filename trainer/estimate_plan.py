"""The arithmetic of a run-time estimate: measured seconds per photo and per step,
times the counts of the run that would start (photos, the training plan's steps and checks).

Every time is a Span: low, typical and high. Low and high come from the fastest and slowest of
the probe's timed batches and steps, and, for training, from the plan's frozen phases stopping
as early as their patience allows (low) or running to the end (typical and high: what the
progress bar counts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .training import HeadConfig, plan


@dataclass(frozen=True)
class Span:
    low: float
    mid: float
    high: float

    @classmethod
    def of(cls, samples: list[float]) -> Span:
        """The fastest, mean and slowest of timed samples."""
        return cls(min(samples), sum(samples) / len(samples), max(samples))

    @classmethod
    def exactly(cls, seconds: float) -> Span:
        return cls(seconds, seconds, seconds)

    def __add__(self, other: Span) -> Span:
        return Span(self.low + other.low, self.mid + other.mid, self.high + other.high)

    def times(self, k: float) -> Span:
        return Span(self.low * k, self.mid * k, self.high * k)

    def rounded(self) -> dict[str, float]:
        return {"low_s": round(self.low, 1), "seconds": round(self.mid, 1),
                "high_s": round(self.high, 1)}


ZERO = Span(0.0, 0.0, 0.0)


def split_sizes(photos: int, labels: int, val_fraction: float, query_fraction: float
                ) -> tuple[int, int]:
    """(training, validation) photos of a run on `photos` photos in `labels` albums, as
    albums.assign_splits rounds them per album (evenly spread: an estimate's shape)."""
    per = photos / max(1, labels)
    val = labels * max(1 if per >= 3 else 0, round(per * val_fraction))
    query = labels * max(1 if per >= 3 else 0, round(per * query_fraction))
    val = max(2, min(val, photos - 4))
    return max(2, photos - val - query), val


@dataclass(frozen=True)
class StepCosts:
    """Measured seconds: one optimisation step, one validation mAP, the bit importance per bit
    of the code, and what any check of the validation photos costs besides (fine-tuning runs
    the backbone over them for each)."""
    step: Span
    val_map: Span
    importance_per_bit: Span
    per_check: Span = ZERO


def plan_steps(cfg: HeadConfig) -> int:
    return sum(n for kind, _, n in plan(cfg) if kind in ("train", "frozen"))


def plan_seconds(cfg: HeadConfig, costs: StepCosts, steps_done: int = 0) -> Span:
    """The training plan's time from `steps_done` (a checkpoint's plan position) to its end."""
    low = mid = 0.0
    high = 0.0
    bits, position = cfg.long_bits, 0
    check = costs.val_map + costs.per_check
    for kind, _, n in plan(cfg):
        if kind == "merge":
            if position >= steps_done:
                cost = costs.importance_per_bit.times(bits) + costs.per_check
                low, mid, high = low + cost.low, mid + cost.mid, high + cost.high
            bits -= n
        elif kind in ("train", "frozen"):
            left = max(0, min(n, position + n - steps_done))
            position += n
            if kind == "train":
                cost = costs.step.times(left)
                low, mid, high = low + cost.low, mid + cost.mid, high + cost.high
                continue
            # A frozen phase checks every eval_every steps and may stop after `patience`
            # checks without improvement; at its end, one more check and the bit importance.
            shortest = min(left, (cfg.patience + 1) * cfg.eval_every)
            end = check + costs.importance_per_bit.times(bits) if left else ZERO
            full = costs.step.times(left) + check.times(math.ceil(left / cfg.eval_every)) + end
            early = costs.step.times(shortest) + check.times(
                math.ceil(shortest / cfg.eval_every)) + end
            low, mid, high = low + early.low, mid + full.mid, high + full.high
    return Span(low, mid, high)
