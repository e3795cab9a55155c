"""End-to-end mode: the backbone is fine-tuned together with the hash head and NMLayer chain.

For GPUs (mixed precision there; several GPUs through torchrun + DistributedDataParallel). Runs on
a CPU too, slowly, which is how the tests exercise it. Photos are decoded once with the app's
reader and resized as the model card says (uint8 in memory), then normalised and augmented
(flip and small shifts of the batch, or with augment="crop" every photo its own random
crop, shift and flip; with mix="mixup"/"cutmix" photos also blended in pairs, or with
head.feature_mix their backbone features) on the device.
BatchNorm statistics stay frozen at their ImageNet values: batches of 32-64 would make them
noisy, and the exported graph uses the running statistics.
Measured on CIFAR at 160 px: fine-tuning on batch statistics instead (batchnorm="train") lost
0.11 validation mAP and 10 points of query accuracy (docs/trainer.md).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from desktop_app.core.images import load_photo
from desktop_app.core.model_card import InputSpec
from desktop_app.core.preprocess import draft_target, resize_for_input

from .albums import AlbumError
from .backbones import FlipAveraged
from .losses import Mix
from .training import HeadConfig, HeadTrainer, blend_features

log = logging.getLogger(__name__)


def load_uint8(paths: Sequence[str | os.PathLike], spec: InputSpec) -> np.ndarray:
    """Photos -> uint8 [N,H,W,3], resized and cropped exactly as the app does before scaling.

    Raises PhotoReadError for an unreadable photo: callers pass only the photos `prepare` read
    and say it with photos_as_prepared."""
    out = np.zeros((len(paths), *spec.size, 3), np.uint8)
    for i, p in enumerate(paths):
        out[i] = np.asarray(resize_for_input(load_photo(p, min_size=draft_target(spec)).image,
                                             spec))
    return out


class Encoder(nn.Module):
    """backbone -> HashNet, the module DDP wraps in this mode."""

    def __init__(self, backbone: nn.Module, net: nn.Module) -> None:
        super().__init__()
        self.backbone, self.net = backbone, net

    def forward(self, pixels: torch.Tensor,
                blend: Callable[[torch.Tensor], tuple[torch.Tensor, Mix]] | None = None
                ) -> torch.Tensor | tuple[torch.Tensor, Mix]:
        """`blend`: blends the backbone's outputs before the head (head.feature_mix); inside
        forward, so that DDP sees one pass."""
        features = self.backbone(pixels).float()
        if blend is None:
            return self.net(features)
        features, mix = blend(features)
        return self.net(features), mix


def freeze_batchnorm(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            for p in m.parameters():
                p.requires_grad_(True)  # affine weights still learn; statistics do not move


def random_crops(x: torch.Tensor, rng: np.random.Generator, min_scale: float = 0.7,
                 shift: float = 0.125) -> torch.Tensor:
    """Every photo of the batch its own view: a random square crop of `min_scale`..1 of the side,
    moved by up to `shift` of the side beyond it (the border mirrored), flipped half the time,
    resampled back to the input size. One batched grid_sample, cheap beside the backbone."""
    n = len(x)
    scale = rng.uniform(min_scale, 1.0, n)
    reach = (1.0 - scale) + 2 * shift  # normalised coordinates span 2: a shift of s is 2s
    tx, ty = (rng.uniform(-reach, reach) for _ in range(2))
    flip = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    theta = np.zeros((n, 2, 3), np.float32)
    theta[:, 0, 0], theta[:, 0, 2] = scale * flip, tx
    theta[:, 1, 1], theta[:, 1, 2] = scale, ty
    grid = F.affine_grid(torch.from_numpy(theta).to(x.device), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


MIX_KINDS = ("none", "mixup", "cutmix")


def mix_batch(x: torch.Tensor, rng: np.random.Generator, kind: str, alpha: float = 1.0
              ) -> tuple[torch.Tensor, Mix | None]:
    """Blend every photo of the batch with another one of it, a regulariser against a small
    training set being learned by heart: "mixup" averages the two photos, "cutmix" pastes a
    box of the other photo (Zhang et al. 2018; Yun et al. 2019). lam ~ Beta(alpha, alpha) is
    the photo's own share (for CutMix the share of the area it keeps); the loss is then taken
    against the blended targets (trainer.losses.Mix)."""
    if kind == "none" or len(x) < 2:
        return x, None
    lam = float(rng.beta(alpha, alpha))
    perm = torch.from_numpy(rng.permutation(len(x))).to(x.device)
    if kind == "mixup":
        return lam * x + (1 - lam) * x[perm], Mix(perm, lam)
    h, w = x.shape[-2:]
    side = math.sqrt(1 - lam)  # the box covers 1 - lam of the area (before clipping)
    bh, bw = round(h * side), round(w * side)
    cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
    y0, y1 = max(0, cy - bh // 2), min(h, cy + bh - bh // 2)
    x0, x1 = max(0, cx - bw // 2), min(w, cx + bw - bw // 2)
    out = x.clone()
    out[..., y0:y1, x0:x1] = x[perm][..., y0:y1, x0:x1]
    return out, Mix(perm, 1 - (y1 - y0) * (x1 - x0) / (h * w))


def cosine_factor(step: int, total: int) -> float:
    """Learning-rate multiplier at `step` of `total`: 1 at the start, half-cosine to 0 at the
    end."""
    return 0.5 * (1.0 + math.cos(math.pi * min(max(step, 0), total) / max(1, total)))


class FinetuneTrainer(HeadTrainer):
    """HeadTrainer whose 'features' are photos: every batch goes through the backbone."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, fit_idx: np.ndarray,
                 val_idx: np.ndarray, cfg: HeadConfig, backbone: nn.Module, spec: InputSpec,
                 device: str = "cpu", backbone_lr: float = 1e-4, amp: bool = True,
                 augment: bool | str = True, lr_schedule: str = "constant",
                 batchnorm: str = "frozen", mix: str = "none", mix_alpha: float = 1.0,
                 cpu_bfloat16: bool = False, flip_average: bool = False,
                 ema_decay: float = 0.0) -> None:
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), not {ema_decay}")
        if lr_schedule not in ("constant", "cosine"):
            raise ValueError(f"lr_schedule must be 'constant' or 'cosine', not {lr_schedule!r}")
        if batchnorm not in ("frozen", "train"):
            raise ValueError(f"batchnorm must be 'frozen' or 'train', not {batchnorm!r}")
        if mix not in MIX_KINDS:
            raise ValueError(f"mix must be one of {MIX_KINDS}, not {mix!r}")
        if mix != "none" and cfg.feature_mix:
            raise ValueError(f"blend either the photos (mix={mix!r}) or their features "
                             f"(feature_mix={cfg.feature_mix}), not both")
        self.mix, self.mix_alpha = mix, mix_alpha  # blending (mixup / CutMix), "none" = off
        # Validation sees the photos as the exported encoder will: flip-averaged when it is.
        self.flip_average = flip_average
        # Weight averaging: validation and model selection see an exponential moving average
        # of the weights (backbone and head) instead of the last step's; 0 = off.
        self.ema_decay = ema_decay
        self._ema: dict[str, torch.Tensor] = {}
        self.lr_schedule = lr_schedule
        # "train": batch statistics in training and running statistics updated (what a plain
        # fine-tune does); "frozen": the ImageNet statistics throughout (the default)
        self.batchnorm = batchnorm
        self.images = torch.from_numpy(np.ascontiguousarray(images))  # uint8 N,H,W,3 on CPU
        self.spec = spec
        self.augment = augment
        dev = torch.device(device)
        self.amp = amp and dev.type == "cuda"
        # bfloat16 autocast on a CPU: 1.55x faster steps at 224 px on an AMX Xeon, level at
        # 160 px (bench/results/finetune-step-speed.md); off unless asked for
        self.cpu_bfloat16 = cpu_bfloat16 and dev.type == "cpu"
        self.backbone = backbone.to(dev)
        self._mean = torch.tensor(spec.mean, device=dev).view(1, 3, 1, 1)
        self._std = torch.tensor(spec.std, device=dev).view(1, 3, 1, 1)
        self.backbone_lr = backbone_lr
        self._device_for_pixels = dev
        # Centre = mean pretrained feature of the training photos (as in frozen mode).
        feats = np.zeros((len(images), getattr(backbone, "feature_dim", 1280)), np.float32)
        with torch.no_grad():
            self.backbone.eval()
            for i in range(0, len(fit_idx), 64):
                idx = fit_idx[i:i + 64]
                feats[idx] = self._backbone_features(idx, train=False).cpu().numpy()
        super().__init__(feats, labels, fit_idx, val_idx, cfg, device)
        self.features = None  # from here on, features come from the backbone being tuned
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)

    def _optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.Adam([
            {"params": self.backbone.parameters(), "lr": self.backbone_lr},
            {"params": self.net.parameters(), "lr": self.cfg.lr},
        ], weight_decay=self.cfg.weight_decay)

    def _pixels(self, idx: np.ndarray, train: bool) -> torch.Tensor:
        x = self.images[torch.as_tensor(idx)].to(self._device_for_pixels, non_blocking=True)
        x = x.permute(0, 3, 1, 2).float()
        if tuple(x.shape[-2:]) != tuple(self.spec.size):  # e.g. CIFAR's 32 px, upscaled
            x = F.interpolate(x, size=tuple(self.spec.size), mode="bilinear",
                              align_corners=False)
        x = (x * self.spec.scale - self._mean) / self._std
        if train and self.augment == "crop":
            x = random_crops(x, self._step_rng(7))
        elif train and self.augment:
            rng = self._step_rng(7)
            h, w = x.shape[-2:]
            pad = max(1, h // 8)
            dy, dx = rng.integers(0, 2 * pad, 2)  # before the flips: shifts drawn as before
            flip = torch.from_numpy(rng.random(len(x)) < 0.5).to(x.device)
            x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
            x = F.pad(x, (pad, pad, pad, pad), mode="reflect")
            x = x[..., dy:dy + h, dx:dx + w]
        return x.contiguous(memory_format=torch.channels_last)

    def _step_rng(self, purpose: int) -> np.random.Generator:
        """The generator of one kind of draw (`purpose`) at this step, from (seed, step): a
        resumed run draws what an unstopped one drew. Each rank but 0 adds its rank (its own
        draws, as it has its own batches); rank 0 draws what a run on one device draws."""
        rank = self.rank
        return np.random.default_rng((self.cfg.seed, self.step, purpose, *([rank] if rank else [])))

    def _autocast(self) -> torch.autocast:
        """float16 on CUDA (amp), bfloat16 on a CPU (cpu_bfloat16), else off."""
        if self._device_for_pixels.type == "cuda":
            return torch.autocast("cuda", dtype=torch.float16, enabled=self.amp)
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.cpu_bfloat16)

    def _backbone_features(self, idx: np.ndarray, train: bool, flip_average: bool = False
                           ) -> torch.Tensor:
        backbone = FlipAveraged(self.backbone) if flip_average else self.backbone
        with self._autocast():
            return backbone(self._pixels(idx, train)).float()

    def snapshot(self) -> dict[str, Any]:
        return {**super().snapshot(), "backbone": {k: v.detach().cpu().clone() for k, v in
                                                   self.backbone.state_dict().items()}}

    def restore(self, snap: dict[str, Any]) -> None:
        super().restore(snap)
        self.backbone.load_state_dict(snap["backbone"])
        self._ema = {}  # the average starts again from the weights training goes on from

    # -- weight averaging ---------------------------------------------------------------------
    def _averaged_parameters(self) -> list[tuple[str, torch.nn.Parameter]]:
        return ([("backbone." + n, p) for n, p in self.backbone.named_parameters()]
                + [("net." + n, p) for n, p in self.net.named_parameters()])

    def _update_average(self) -> None:
        with torch.no_grad():
            for name, p in self._averaged_parameters():
                avg = self._ema.get(name)
                if avg is None or avg.shape != p.shape:  # new, or reshaped by a merge
                    self._ema[name] = p.detach().clone()
                else:
                    avg.lerp_(p.detach(), 1.0 - self.ema_decay)

    @contextlib.contextmanager
    def _averaged_weights(self) -> Iterator[None]:
        """The averaged weights in place of the live ones, put back afterwards."""
        live = []
        with torch.no_grad():
            for name, p in self._averaged_parameters():
                live.append((p, p.detach().clone()))
                if name in self._ema and self._ema[name].shape == p.shape:
                    p.copy_(self._ema[name])
        try:
            yield
        finally:
            with torch.no_grad():
                for p, value in live:
                    p.copy_(value)

    def _select(self, stage: int) -> float:
        if not self.ema_decay:
            return super()._select(stage)
        # Validated and, when best, kept: the averaged weights. The stage's end restores the
        # best, so the model written is an average too.
        with self._averaged_weights():
            return super()._select(stage)

    def stage_finished(self, bits: int) -> None:
        # Later stages keep tuning the backbone: the model at `bits` is this backbone + head.
        if not hasattr(self, "backbones"):
            self.backbones = {}
        self.backbones[bits] = {k: v.detach().cpu().clone()
                                for k, v in self.backbone.state_dict().items()}

    # The backbone's ImageNet classifier (EfficientNet-Lite0's _fc) is not in the hashing
    # forward pass; under torchrun DDP would refuse its missing gradients.
    ddp_find_unused = True

    def module_for_ddp(self) -> nn.Module:
        return Encoder(self.backbone, self.net)

    def train_forward(self, batch: np.ndarray) -> tuple[torch.Tensor, Mix | None]:
        """The training forward pass of a batch (photos, not cached features), blended as
        `mix` says (seeded by the step, so a resumed run blends as it would have)."""
        module = self._forward_module()
        # Draws inside the network (torchvision's stochastic depth in EfficientNet and
        # ConvNeXt) use torch's global generator, which no checkpoint holds: seeded by the step.
        torch.manual_seed(int(self._step_rng(17).integers(2**63)))
        x, blend = mix_batch(self._pixels(batch, train=True), self._step_rng(11), self.mix,
                             self.mix_alpha)
        if self.cfg.feature_mix:  # the photos stay whole; their features are blended
            rng = self._step_rng(13)
            with self._autocast():
                z, blend = module(x, blend=lambda f: blend_features(
                    f, rng, self.cfg.feature_mix, self.cfg.feature_mix_alpha))
            return z.float(), blend
        with self._autocast():
            return module(x).float(), blend

    def train_step(self) -> float:
        self.backbone.train()
        if self.batchnorm == "frozen":
            freeze_batchnorm(self.backbone)
        batch = self.batch_indices()
        y = self.labels[batch].to(self.device)
        z, blend = self.train_forward(batch)
        loss = self.batch_loss(z, y, blend)
        self.opt.zero_grad(set_to_none=True)
        self._set_learning_rates()
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt)
        self.scaler.update()
        if self.ema_decay:
            self._update_average()
        self.step += 1
        return float(loss.detach())

    def _set_learning_rates(self) -> None:
        """From the step alone (not from optimizer state), so a resumed run follows the same
        schedule."""
        factor = cosine_factor(self.step, self.steps_total) if self.lr_schedule == "cosine" \
            else 1.0
        for group, base in zip(self.opt.param_groups, (self.backbone_lr, self.cfg.lr),
                               strict=True):
            group["lr"] = base * factor

    def outputs(self, idx: np.ndarray) -> np.ndarray:
        self.backbone.eval()
        self.net.eval()
        outs = []
        with torch.no_grad():
            for i in range(0, len(idx), 128):
                feats = self._backbone_features(idx[i:i + 128], False, self.flip_average)
                outs.append(self.net(feats).cpu())
        self.net.train()
        return torch.cat(outs).float().numpy()

    def state(self) -> dict[str, Any]:
        out = super().state()
        out["backbone"] = {k: v.detach().cpu() for k, v in self.backbone.state_dict().items()}
        out["scaler"] = self.scaler.state_dict()
        out["stage_backbones"] = {str(b): sd for b, sd in getattr(self, "backbones", {}).items()}
        out["averaged_weights"] = {k: v.detach().cpu() for k, v in self._ema.items()}
        return out

    def load_state(self, state: dict[str, Any]) -> None:
        self.backbone.load_state_dict(state["backbone"])
        self.backbone.to(self._device_for_pixels)
        super().load_state(state)
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.backbones = {int(b): sd for b, sd in state.get("stage_backbones", {}).items()}
        self._ema = {k: v.to(self._device_for_pixels)
                     for k, v in state.get("averaged_weights", {}).items()}


def finetune_config(cfg: dict[str, Any], hcfg: HeadConfig) -> HeadConfig:
    ft = cfg["finetune"]
    overrides = {k: ft[k] for k in ("long_steps", "active_steps", "frozen_steps", "eval_every",
                                     "batch_size") if k in ft}
    if hcfg.feature_mix and ft.get("mix", "none") != "none":  # the loss takes one blend
        raise AlbumError(
            None, f"head.feature_mix = {hcfg.feature_mix:g} and finetune.mix = \"{ft['mix']}\" "
            "both blend the training photos, and fine-tuning takes one blend",
            "Set one of them off: --set head.feature_mix=0 or --set finetune.mix=none",
            option="--set")
    return HeadConfig.from_dict({**hcfg.to_dict(), **overrides})


def finetune_identity(ft: dict[str, Any]) -> dict[str, Any]:
    """The fine-tuning settings a checkpoint must match to resume. Settings at their "off"
    value (no blending, no weight averaging) are left out: checkpoints saved before those
    settings existed still resume."""
    off = set() if ft.get("mix", "none") != "none" else {"mix", "mix_alpha"}
    if not ft.get("ema_decay"):
        off.add("ema_decay")
    return {k: v for k, v in ft.items() if k not in off}


def finetune_checkpoint_identity(manifest, cfg: dict[str, Any], fcfg: HeadConfig
                                 ) -> dict[str, Any]:
    """What a fine-tuning checkpoint must have been made from to resume (fcfg: finetune_config)."""
    from .rundir import checkpoint_identity

    return {**checkpoint_identity(manifest, cfg), "head": fcfg.to_dict(),
            "finetune": finetune_identity(cfg["finetune"])}


def finetune_run(run_dir: Path, manifest, cfg: dict[str, Any], hcfg: HeadConfig, device: str,
                 reporter=None, should_stop: Callable[[], bool] | None = None,
                 checkpoint_name: str = "finetune-checkpoint.pt", resume: bool = True) -> Path:
    """Fine-tune; write run_dir/backbone.pt. The frozen-mode head is then refitted on the tuned
    features by the caller, so both modes end in the same heads.pt / export path."""
    from .backbones import backbone_from_config
    from .errors import Stopped
    from .out_of_memory import SayOutOfMemory
    from .pipeline import input_spec, photos_as_prepared
    from .rundir import (
        BACKBONE,
        TUNED_FROM,
        load_checkpoint,
        record_tuned_from,
        save_state,
    )
    from .training import Stopped as HeadStopped

    spec = input_spec(cfg)
    ft = cfg["finetune"]
    fcfg = finetune_config(cfg, hcfg)  # before decoding every photo: it may refuse the settings
    with photos_as_prepared():  # the app's remedy ("retried when it changes") is not ours
        images = load_uint8(manifest.paths(), spec)
    # A smaller batch changes the checkpoint's identity: fine-tuning then starts afresh.
    out_of_memory = SayOutOfMemory(
        run_dir, device, "fine-tuning the backbone", fcfg.batch_size, "finetune.batch_size",
        "; fine-tuning then starts afresh")
    with out_of_memory:
        trainer = FinetuneTrainer(images, manifest.multi_hot(), manifest.indices("train"),
                                  manifest.indices("val"), fcfg, backbone_from_config(cfg),
                                  spec, device, float(ft["backbone_lr"]), bool(ft["amp"]),
                                  ft["augment"], str(ft["lr_schedule"]), mix=str(ft["mix"]),
                                  mix_alpha=float(ft["mix_alpha"]),
                                  flip_average=bool(cfg["backbone"].get("flip_average")),
                                  ema_decay=float(ft.get("ema_decay", 0.0)))
    ckpt = run_dir / checkpoint_name
    identity = finetune_checkpoint_identity(manifest, cfg, fcfg)
    rank0 = trainer.rank == 0
    saved = load_checkpoint(ckpt, identity, resume)
    if saved is not None:
        trainer.load_state(saved["trainer"])
        log.info("resumed fine-tuning from %s at step %d", ckpt, trainer.step)

    def save(t: HeadTrainer) -> None:
        if rank0:
            save_state({"identity": identity, "trainer": t.state()}, ckpt)

    def progress(p: dict[str, Any]) -> None:
        if reporter and rank0:
            reporter.progress("train", p["step"], p["steps"], p["stage"], p["bits"], p["loss"],
                              p["val_map"], ran=p["ran"])

    try:
        with out_of_memory:
            trainer.run(progress, should_stop, save, checkpoint_every=100)
    except HeadStopped as exc:
        raise Stopped() from exc
    target = run_dir / BACKBONE
    if rank0:
        state = {k: v.detach().cpu() for k, v in trainer.backbone.state_dict().items()}
        # The old backbone.pt goes with its record: were it left without one (this save fails
        # on a full disk), it would pass for one tuned before records and be used whatever
        # network it holds. A backbone.pt without a record is then only this one.
        (run_dir / TUNED_FROM).unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        save_state(state, target)
        record_tuned_from(run_dir, cfg)
    return target
