"""Training the hash head and its progressive NMLayer chain on cached backbone features.

One run is a plan of tasks, executed in order and checkpointable between any two steps:
  stage 0 (the long code, K bits):  frozen phase
  stage s (M -> target):            [train T steps, merge n outputs] x rounds, then frozen phase
The active phase merges, every T steps, the least important output (importance measured by mAP
on the validation split) into the output most redundant with it (|correlation| of binary outputs,
its sign giving the merge sign). The frozen phase trains with P fixed and keeps the state with the
best validation mAP (model selection on the validation split only, never on query data).
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from .losses import Mix, hashing_loss
from .metrics import bit_importance, code_health, importance_spread, mean_average_precision
from .metrics_torch import bit_importance_torch, mean_average_precision_torch
from .model import FoldedHead, HashNet
from .nmlayer import apply_merges, binary_correlation, plan_merges
from .wording import fmt3

log = logging.getLogger(__name__)


@dataclass
class HeadConfig:
    long_bits: int = 128  # K, the first stage's code length
    stages: tuple[int, ...] = (64, 48, 32, 24, 12)  # target length of each NMLayer stage
    hidden: int = 0  # 0: linear head (W f + c); >0: one hidden ReLU layer of that width
    lr: float = 1e-3
    weight_decay: float = 1e-5
    batch_size: int = 256
    alpha: float = 1.0  # Theta = alpha/2 u.u
    eta: float = 0.1  # quantisation weight
    cls_weight: float = 0.0  # weight of the classification term on the relaxed code; 0 = off
    # Share of training photos whose cached features are blended with another photo's of the
    # batch (targets blended too): codes learn to sit between classes for photos that do, which
    # the binary ranking of unseen photos needs. Head training on cached features only.
    feature_mix: float = 0.0
    feature_mix_alpha: float = 0.4  # each blend's own share is drawn from Beta(alpha, alpha)
    long_steps: int = 600  # frozen phase of the long code (stage 0)
    active_steps: int = 200  # per stage, spread over the merge rounds
    merge_rounds: int = 4  # per stage; = (M - target) reproduces one merge at a time
    frozen_steps: int = 400  # per stage, at most
    eval_every: int = 50
    patience: int = 4  # evaluations without improvement before a frozen phase stops
    merge: str = "sum"  # "sum" (the method notes) or "mean" (group average; see docs)
    val_database: int = 2000  # validation database: validation photos + sampled training photos
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stages"] = list(self.stages)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HeadConfig:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if "stages" in known:
            known["stages"] = tuple(int(b) for b in known["stages"])
        return cls(**known)


# (stage, bits, step, steps, ran, loss, val_map) after every step; steps is the plan's total,
# step the plan's steps behind (plan_position: those a phase stopped early skipped count) and
# ran the steps actually run (what the time left is measured on).
TrainProgress = Callable[[dict[str, Any]], None]


class Stopped(Exception):
    """should_stop() said so; a checkpoint was written just before."""


@dataclass
class StageRecord:
    stage: int
    bits: int
    val_map: float
    importance: list[float]
    importance_spread: float | None
    health: dict[str, float]
    steps: int
    merges: list[list[int]] = field(default_factory=list)


@dataclass
class HeadResult:
    net: HashNet
    heads: dict[int, FoldedHead]  # the folded export head at every stage length
    stages: list[StageRecord]
    history: list[dict[str, float]]
    config: HeadConfig
    steps: int
    seconds: float

    def head(self, bits: int) -> FoldedHead:
        if bits not in self.heads:
            raise KeyError(f"no {bits}-bit head was trained (have {sorted(self.heads)})")
        return self.heads[bits]


def blend_features(x: torch.Tensor, rng: np.random.Generator, share: float, alpha: float
                   ) -> tuple[torch.Tensor, Mix]:
    """Blend `share` of the rows with another row of the batch, each with its own weight from
    Beta(alpha, alpha); the other rows keep weight 1 (unchanged)."""
    n = len(x)
    lam = rng.beta(alpha, alpha, n)
    lam[rng.random(n) >= share] = 1.0
    lam_t = torch.as_tensor(lam, dtype=x.dtype, device=x.device)
    perm = torch.as_tensor(rng.permutation(n), device=x.device)
    return lam_t[:, None] * x + (1 - lam_t[:, None]) * x[perm], Mix(perm, lam_t)


def plan(cfg: HeadConfig) -> list[tuple[str, int, int]]:
    """[(kind, stage, n)]: kind 'train' n steps, 'merge' n outputs, 'frozen' up to n steps."""
    tasks: list[tuple[str, int, int]] = [("frozen", 0, cfg.long_steps)]
    bits = cfg.long_bits
    for s, target in enumerate(cfg.stages, start=1):
        if target >= bits:
            raise ValueError(f"stage {s} targets {target} bits but the code already has {bits}; "
                             "stages must shrink the code")
        rounds = max(1, min(cfg.merge_rounds, bits - target))
        per_round = cfg.active_steps // rounds
        remaining = bits - target
        tasks.append(("stage", s, 0))
        for r in range(rounds):
            n = math.ceil(remaining / (rounds - r))
            if per_round:
                tasks.append(("train", s, per_round))
            tasks.append(("merge", s, n))
            remaining -= n
        tasks.append(("frozen", s, cfg.frozen_steps))
        bits = target
    return tasks


def total_steps(cfg: HeadConfig) -> int:
    return sum(n for kind, _, n in plan(cfg) if kind in ("train", "frozen"))


class HeadTrainer:
    """Runs the plan; `state()` / `load_state()` make it resumable between any two steps."""

    def __init__(self, features: np.ndarray, labels: np.ndarray, fit_idx: np.ndarray,
                 val_idx: np.ndarray, cfg: HeadConfig, device: str = "cpu") -> None:
        if len(fit_idx) < 2 or len(val_idx) < 2:
            raise ValueError("training needs at least 2 training and 2 validation photos")
        self.cfg = cfg
        self.device = torch.device(device)
        labels = np.asarray(labels)
        if labels.ndim == 1:  # class indices -> multi-hot
            labels = np.eye(int(labels.max()) + 1, dtype=np.float32)[labels]
        self.features = torch.as_tensor(np.asarray(features, np.float32))
        self.labels = torch.as_tensor(labels.astype(np.float32))
        self.fit_idx = np.asarray(fit_idx)
        self.val_idx = np.asarray(val_idx)
        centre = self.features[self.fit_idx].mean(dim=0)
        torch.manual_seed(cfg.seed)
        self.net = HashNet(self.features.shape[1], cfg.long_bits, cfg.hidden, centre,
                           merge=cfg.merge, classes=self.labels.shape[1] if cfg.cls_weight else 0
                           ).to(self.device)
        self.opt = self._optimizer()
        self.tasks = plan(cfg)
        self.task_index, self.task_step, self.step = 0, 0, 0
        self.best: dict[str, Any] | None = None  # frozen phase: best val mAP state
        self.evals_since_best = 0
        self.stages: list[StageRecord] = []
        self.history: list[dict[str, float]] = []
        self.heads: dict[int, FoldedHead] = {}
        self.seconds = 0.0
        self.last_val_map: float | None = None
        self._ddp = None

    def _optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.net.parameters(), lr=self.cfg.lr,
                                weight_decay=self.cfg.weight_decay)

    @property
    def steps_total(self) -> int:
        return total_steps(self.cfg)

    def plan_position(self) -> int:
        """The plan's steps behind: a frozen phase stopped early counts whole, so that progress
        ends at steps_total and its time left counts only steps still to run."""
        return self.task_step + sum(n for kind, _, n in self.tasks[:self.task_index]
                                    if kind in ("train", "frozen"))

    # -- evaluation on the validation split ---------------------------------------------------
    def outputs(self, idx: np.ndarray) -> np.ndarray:
        self.net.eval()
        with torch.no_grad():
            out = torch.cat([self.net(self.features[idx[i:i + 4096]].to(self.device)).cpu()
                             for i in range(0, len(idx), 4096)])
        self.net.train()
        return out.numpy()

    def _validation_sets(self) -> tuple[np.ndarray, np.ndarray]:
        """Queries: the validation photos. Database: those photos (self excluded) plus a seeded
        sample of training photos, capped so importance (one mAP per bit) stays cheap."""
        if not hasattr(self, "_val_db"):
            extra = max(0, self.cfg.val_database - len(self.val_idx))
            rng = np.random.default_rng(self.cfg.seed)
            fit = rng.permutation(self.fit_idx)[:extra]
            self._val_db = np.concatenate([self.val_idx, np.sort(fit)])
        return self.val_idx, self._val_db

    def _val_bits(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        q, db = self._validation_sets()
        bits = self.outputs(db) > 0
        lab = self.labels[db].numpy()
        return bits[:len(q)], lab[:len(q)], bits, lab

    def val_map(self) -> float:
        if self.device.type == "cuda":  # same numbers, without minutes of numpy on the host
            return mean_average_precision_torch(*self._val_bits(), exclude_self=True,
                                                device=self.device)
        return mean_average_precision(*self._val_bits(), exclude_self=True)

    def importance(self) -> np.ndarray:
        if self.device.type == "cuda":
            return bit_importance_torch(*self._val_bits(), exclude_self=True, device=self.device)
        return bit_importance(*self._val_bits(), exclude_self=True)

    # -- one optimisation step ----------------------------------------------------------------
    @property
    def distributed(self) -> bool:
        return torch.distributed.is_available() and torch.distributed.is_initialized()

    @property
    def rank(self) -> int:
        """This process's rank under torchrun (0 when not distributed)."""
        return torch.distributed.get_rank() if self.distributed else 0

    def _rank_0s(self, value: Any) -> Any:
        """`value` as rank 0 has it, on every rank under torchrun (as it is otherwise)."""
        if self.distributed:
            box = [value]
            torch.distributed.broadcast_object_list(box, src=0)
            value = box[0]
        return value

    def _forward_module(self) -> torch.nn.Module:
        """The net, wrapped in DistributedDataParallel under torchrun (gradients averaged).

        Re-wrapped after every merge: the NMLayer buffers change shape, and DDP must not
        broadcast stale ones (every rank applies the same merges, decided on rank 0)."""
        if not self.distributed:
            return self.module_for_ddp()
        if self._ddp is None:
            from torch.nn.parallel import DistributedDataParallel

            self._ddp = DistributedDataParallel(
                self.module_for_ddp(),
                device_ids=[self.device.index] if self.device.type == "cuda" else None,
                broadcast_buffers=False, find_unused_parameters=self.ddp_find_unused)
        return self._ddp

    # DDP must be told when some parameters get no gradient in a step (else it stops with
    # "parameters that were not used in producing loss"); the head alone uses all of its own.
    ddp_find_unused = False

    def module_for_ddp(self) -> torch.nn.Module:
        return self.net

    def snapshot(self) -> dict[str, Any]:
        """Copies of everything training changes (model selection keeps the best one)."""
        return {"net": copy.deepcopy(self.net.state_dict())}

    def restore(self, snap: dict[str, Any]) -> None:
        self.net.load_state_dict(snap["net"])

    def batch_indices(self) -> np.ndarray:
        """Seeded by (seed, step, rank): a resumed run draws the same batches it would have."""
        g = np.random.default_rng((self.cfg.seed, self.step, self.rank))
        return g.choice(self.fit_idx, size=min(self.cfg.batch_size, len(self.fit_idx)),
                        replace=False)

    def batch_outputs(self, batch: np.ndarray) -> torch.Tensor:
        return self._forward_module()(self.features[batch].to(self.device))

    def batch_loss(self, z: torch.Tensor, labels: torch.Tensor, mix: Mix | None = None
                   ) -> torch.Tensor:
        logits = self.net.class_logits(z) if self.cfg.cls_weight else None
        loss, _ = hashing_loss(z, labels, self.cfg.alpha, self.cfg.eta, logits,
                               self.cfg.cls_weight, mix)
        return loss

    def train_step(self) -> float:
        batch = self.batch_indices()
        y = self.labels[batch].to(self.device)
        if self.cfg.feature_mix:
            # seeded by the step, so a resumed run blends as it would have
            x, mix = blend_features(self.features[batch],
                                    np.random.default_rng((self.cfg.seed, self.step, 13)),
                                    self.cfg.feature_mix, self.cfg.feature_mix_alpha)
            loss = self.batch_loss(self._forward_module()(x.to(self.device)), y, mix)
        else:
            loss = self.batch_loss(self.batch_outputs(batch), y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.step += 1
        return float(loss.detach())

    # -- the plan -----------------------------------------------------------------------------
    def run(self, progress: TrainProgress | None = None,
            should_stop: Callable[[], bool] | None = None,
            checkpoint: Callable[[HeadTrainer], None] | None = None,
            checkpoint_every: int = 200) -> HeadResult:
        t0 = time.perf_counter() - self.seconds
        while self.task_index < len(self.tasks):
            kind, stage, n = self.tasks[self.task_index]
            if kind == "stage":
                self.net.add_stage()
                self._ddp = None
            elif kind == "merge":
                self._merge(n)
            else:
                while self.task_step < n:
                    if should_stop and should_stop():
                        self.seconds = time.perf_counter() - t0
                        if checkpoint:
                            checkpoint(self)
                        raise Stopped()
                    loss = self.train_step()
                    self.task_step += 1
                    val = None
                    if kind == "frozen" and (self.task_step % self.cfg.eval_every == 0
                                             or self.task_step == n):
                        val = self._select(stage)
                        if self.evals_since_best >= self.cfg.patience:
                            self.task_step = n  # early stop: no improvement for a while
                    self.history.append({"step": self.step, "stage": stage,
                                         "bits": self.net.bits, "loss": loss,
                                         **({"val_map": val} if val is not None else {})})
                    if progress:
                        progress({"stage": stage, "bits": self.net.bits,
                                  "step": self.plan_position(), "steps": self.steps_total,
                                  "ran": self.step, "loss": loss, "val_map": val})
                    if checkpoint and self.step % checkpoint_every == 0:
                        self.seconds = time.perf_counter() - t0
                        checkpoint(self)
                if kind == "frozen":
                    self._finish_stage(stage)
            self.task_index += 1
            self.task_step = 0
        self.seconds = time.perf_counter() - t0
        if checkpoint:
            checkpoint(self)
        return HeadResult(self.net, self.heads, self.stages, self.history, self.cfg, self.step,
                          self.seconds)

    def _merge(self, count: int) -> None:
        merges = None
        # Measured on rank 0 alone (the other ranks would repeat its work, on data of their
        # own): every rank then applies rank 0's decision, so all merge the same outputs.
        if self.rank == 0:
            importance = self.importance()
            corr = binary_correlation(self.outputs(self.val_idx))
            merges = plan_merges(importance, corr, count)
        merges = self._rank_0s(merges)
        apply_merges(self.net.nm_layers[-1], merges)
        self._ddp = None
        self.best, self.evals_since_best = None, 0
        log.debug("merged %s -> %d bits", merges, self.net.bits)

    def _select(self, stage: int) -> float:
        # Rank 0's number on every rank: a last-bit difference between two GPUs would make
        # ranks keep different weights, or stop a phase apart and wait for each other.
        val = self._rank_0s(self.val_map())
        self.last_val_map = val
        if self.best is None or val > self.best["val_map"]:
            self.best = {"val_map": val, "weights": self.snapshot(), "step": self.step}
            self.evals_since_best = 0
        else:
            self.evals_since_best += 1
        return val

    def _finish_stage(self, stage: int) -> None:
        if self.best is not None:
            self.restore(self.best["weights"])
        record = None
        # Measured on rank 0 alone, as _merge does (only its record is written; the others
        # would repeat the work, fine-tuning's backbone pass included): every rank keeps it.
        if self.rank == 0:
            val = self.val_map()
            imp = self.importance()
            health = code_health(self.outputs(self.val_idx))
            record = StageRecord(stage, self.net.bits, val, imp.tolist(),
                                 importance_spread(imp), health, self.step)
        record = self._rank_0s(record)
        self.stages.append(record)
        self.heads[self.net.bits] = self.net.folded()
        self.stage_finished(self.net.bits)
        self.best, self.evals_since_best = None, 0
        log.info("stage %d: %d bits, validation mAP %.4f, importance spread %s", stage,
                 self.net.bits, record.val_map, fmt3(record.importance_spread))

    def stage_finished(self, bits: int) -> None:
        """Hook: the model at `bits` is final (fine-tuning snapshots its backbone here)."""

    # -- resumable state (tensors and plain values only: loads with weights_only=True) --------
    def state(self) -> dict[str, Any]:
        return {
            "config": self.cfg.to_dict(), "net": self.net.state(),
            "optimizer": self.opt.state_dict(), "task_index": self.task_index,
            "task_step": self.task_step, "step": self.step, "seconds": self.seconds,
            "best": None if self.best is None else {
                "val_map": self.best["val_map"], "step": self.best["step"],
                "weights": {part: {k: v.cpu() for k, v in sd.items()}
                            for part, sd in self.best["weights"].items()}},
            "evals_since_best": self.evals_since_best,
            "stages": [asdict(s) for s in self.stages], "history": self.history,
            "heads": {str(b): h.state() for b, h in self.heads.items()},
        }

    def load_state(self, state: dict[str, Any]) -> None:
        if HeadConfig.from_dict(state["config"]) != self.cfg:
            raise ValueError("the checkpoint was made with a different training configuration")
        self.net = HashNet.from_state(state["net"]).to(self.device)
        self._ddp = None
        self.opt = self._optimizer()
        self.opt.load_state_dict(state["optimizer"])
        self.task_index, self.task_step = int(state["task_index"]), int(state["task_step"])
        self.step, self.seconds = int(state["step"]), float(state["seconds"])
        b = state["best"]
        self.best = None if b is None else {"val_map": b["val_map"], "step": b["step"],
                                            "weights": b["weights"]}
        self.evals_since_best = int(state["evals_since_best"])
        self.stages = [StageRecord(**s) for s in state["stages"]]
        self.history = list(state["history"])
        self.heads = {int(b): FoldedHead.from_state(h) for b, h in state["heads"].items()}


def train_head(features: np.ndarray, labels: np.ndarray, fit_idx: np.ndarray,
               val_idx: np.ndarray, cfg: HeadConfig | None = None, device: str = "cpu",
               progress: TrainProgress | None = None,
               should_stop: Callable[[], bool] | None = None) -> HeadResult:
    """Train head + progressive NMLayers on cached features; `result.head(bits)` per length."""
    return HeadTrainer(features, labels, fit_idx, val_idx, cfg or HeadConfig(), device).run(
        progress, should_stop)
