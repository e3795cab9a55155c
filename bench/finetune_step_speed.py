"""Can fine-tuning go faster on this CPU? One training step of EfficientNet-Lite0 (batch 64, the
trainer's fine-tuning step: BatchNorm frozen, channels-last, Adam over backbone and a 128-bit
head) in float32 (what `FinetuneTrainer` does on a CPU by default), under bfloat16 autocast
(its `cpu_bfloat16=True`; the CPU has AMX tiles for bfloat16) and through torch.compile:

    nice -n 5 .venv/bin/python bench/finetune_step_speed.py [--sizes 160 224] [--steps 5]

Writes bench/results/finetune-step-speed.md (and .json): median seconds per step after warm-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from _common import header, nice_prefix

from trainer.backbones import build_backbone
from trainer.finetune import freeze_batchnorm

MODES = ("float32", "bfloat16-autocast", "torch.compile")


class Setup:
    """One way of running the step, with its own network and optimiser."""

    def __init__(self, size: int, mode: str) -> None:
        torch.manual_seed(0)
        self.mode = mode
        self.backbone = build_backbone("efficientnet_lite0").to(memory_format=torch.channels_last)
        self.head = torch.nn.Linear(1280, 128)
        self.opt = torch.optim.Adam([{"params": self.backbone.parameters(), "lr": 1e-4},
                                     {"params": self.head.parameters(), "lr": 1e-3}])
        # dynamic=False: a second input size would otherwise be compiled for every size (a
        # symbolic-shape graph), which took over 15 min here where one size takes 1-2 min
        self.forward = (torch.compile(self.backbone, dynamic=False) if mode == "torch.compile"
                        else self.backbone)
        self.x = torch.randn(64, 3, size, size).contiguous(memory_format=torch.channels_last)
        self.backbone.train()
        freeze_batchnorm(self.backbone)

    def step(self) -> float:
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16,
                            enabled=self.mode == "bfloat16-autocast"):
            z = torch.tanh(self.head(self.forward(self.x).float()))
        loss = (z - torch.sign(z).detach()).pow(2).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return time.perf_counter() - start


def step_times(size: int, steps: int, warmup: int = 2) -> dict[str, list[float]]:
    """Seconds per step of every mode, the modes taking turns step by step, so that a change
    in the machine's load falls on all of them alike."""
    setups = [Setup(size, mode) for mode in MODES]
    for setup in setups:
        for _ in range(warmup):
            setup.step()
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(steps):
        for setup in setups:
            times[setup.mode].append(setup.step())
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[160, 224])
    ap.add_argument("--steps", type=int, default=5, help="timed steps per setting (after 2 "
                    "warm-up steps; torch.compile compiles in its first)")
    ap.add_argument("--results", default=str(REPO / "bench/results/finetune-step-speed"))
    args = ap.parse_args()
    head_md = header("Fine-tuning step on the CPU: float32, bfloat16 autocast, torch.compile")
    head_md = head_md.replace("`.venv/bin/python", f"`{nice_prefix()}.venv/bin/python", 1)
    rows, table = [], []
    for size in args.sizes:
        for mode, times in step_times(size, args.steps).items():
            median = statistics.median(times)
            rows.append({"size": size, "mode": mode, "seconds": times, "median_s": median})
            print(f"{size} px {mode}: {median:.2f} s/step", flush=True)
    for size in args.sizes:
        base = next(r["median_s"] for r in rows if r["size"] == size and r["mode"] == "float32")
        for r in (r for r in rows if r["size"] == size):
            table.append(f"| {size} | {r['mode']} | {r['median_s']:.2f} | "
                         f"{base / r['median_s']:.2f}x | {min(r['seconds']):.2f} |")
    md = (head_md + f"- torch {torch.__version__}, {torch.get_num_threads()} threads, batch 64, "
          f"EfficientNet-Lite0 + 128-bit head, {args.steps} timed steps per row after 2 warm-up "
          "steps, the three ways taking turns step by step\n\n"
          "| input px | step | median s / step | speed vs float32 | fastest step s |\n"
          "|---|---|---|---|---|\n" + "\n".join(table) + "\n")
    out = Path(args.results)
    out.with_suffix(".md").write_text(md, encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
