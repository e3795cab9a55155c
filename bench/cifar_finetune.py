"""The headline: CIFAR-10 protocol 1 end to end (EfficientNet-Lite0 fine-tuned with the hash head
and the progressive NMLayer chain), mAP@all at 48/32/24/12 bits. Written for a GPU:

    .venv/bin/python bench/cifar_finetune.py --size 224                 # one GPU
    torchrun --nproc_per_node 4 bench/cifar_finetune.py --size 224      # several GPUs (DDP)

On a lent device machine with a short lease, bench/device/cifar_headline.sh runs it with
--minutes: the step budget is then scaled down to what fits, from a measured step time.

Model selection uses the validation split of the 5,000 training images only; the query set is
used once per length, when that length's stage is final. Every length is evaluated and written
as soon as its stage ends, so a run cut short still reports the lengths it finished.
`--smoke` runs a few steps on a CPU to check the script itself.

`--direct BITS` runs the ablation's A end to end instead: the hashing layer trained at BITS from
the start, backbone fine-tuned with it, for the whole step budget of the chain the other
arguments describe and with the same early stopping. Same seed, splits, loss and schedule as the
chain (B), so the two runs compare the NMLayer with the backbone learning through it.
`--lengths` limits the lengths scored on the query set (each costs one pass over 60,000 photos).
Results: <results-dir>/cifar-finetune[-direct<BITS>][-<tag>].md / .json (default bench/results).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cpu_model, home_to_tilde, nice_prefix
from cifar_data import REPO, RESULTS_DIR, load_images, protocol1

from trainer.backbones import build_backbone
from trainer.features import input_spec_for
from trainer.finetune import MIX_KINDS, FinetuneTrainer
from trainer.metrics import code_health, mean_average_precision
from trainer.metrics_torch import mean_average_precision_torch
from trainer.model import FoldedHead
from trainer.training import HeadConfig, Stopped, total_steps

LENGTHS = (48, 32, 24, 12)


def shown_path(path: Path) -> str:
    """A path as the results record it: relative to the repository when inside it, else with
    the home folder as ~ (no one machine's absolute paths in committed files)."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return home_to_tilde(str(path))


class HeadlineTrainer(FinetuneTrainer):
    """FinetuneTrainer that hands every finished stage to a callback (to evaluate it at once)."""

    on_stage_final = None

    def stage_finished(self, bits: int) -> None:
        super().stage_finished(bits)
        if self.on_stage_final is not None:
            self.on_stage_final(bits)


def machine(device: str) -> str:
    cpu = f"{os.cpu_count()}-core {platform.machine()} CPU ({cpu_model()})"
    if device.startswith("cuda"):
        return (f"{torch.cuda.get_device_name(0)} x {torch.cuda.device_count()}, {cpu} "
                f"(torch {torch.__version__}, Python {platform.python_version()})")
    return f"{cpu}, no GPU (torch {torch.__version__}, Python {platform.python_version()})"


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def calibrate(make_trainer, device: str, steps: int = 30) -> dict[str, float]:
    """Seconds per training step, per validation mAP and per bit-importance pass at the long
    length, measured on a throwaway trainer (its steps do not count towards the run)."""
    probe = make_trainer()
    for _ in range(5):  # warm-up: kernels chosen, memory allocated
        probe.train_step()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        probe.train_step()
    _sync(device)
    step = (time.perf_counter() - t0) / steps
    probe.val_map()  # warm-up: the first evaluation pays for new batch shapes (2.9 s on an
    probe.importance()  # H200 against ~0.1 s after), which made the first budget 20x too small
    t0 = time.perf_counter()
    probe.val_map()
    val = time.perf_counter() - t0
    t0 = time.perf_counter()
    probe.importance()
    importance = time.perf_counter() - t0
    probe.backbone.eval()
    sample = probe.fit_idx[:2048]

    for _ in range(2):  # the first pass warms up, the second is timed
        _sync(device)
        t0 = time.perf_counter()
        with torch.no_grad():
            for i in range(0, len(sample), 512):  # as evaluate() does for the 60,000 images
                probe._backbone_features(sample[i:i + 512], False).cpu()
        _sync(device)
    per_image = (time.perf_counter() - t0) / len(sample)
    del probe
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return {"step_s": step, "val_map_s": val, "importance_s": importance,
            "encode_s_per_image": per_image}


def fit_to_budget(cfg: HeadConfig, timing: dict[str, float], minutes: float,
                  n_images: int, lengths: tuple[int, ...] = LENGTHS) -> tuple[HeadConfig, float]:
    """Scale the chain's step counts (and the evaluation interval with them, so the number of
    evaluations stays the same) so that training, its validation and the query/database
    evaluation of every reported length (`n_images` each) fit in `minutes`."""
    evals = cfg.long_steps // cfg.eval_every + len(cfg.stages) * (
        cfg.frozen_steps // cfg.eval_every)
    importances = 1 + len(cfg.stages) * (cfg.merge_rounds + 1)
    reported = sum(1 for b in (cfg.long_bits, *cfg.stages) if b in lengths)
    fixed = (evals * timing["val_map_s"] + importances * timing["importance_s"]
             + reported * n_images * timing["encode_s_per_image"])
    train = total_steps(cfg) * timing["step_s"]
    scale = min(1.0, max(0.05, (minutes * 60 - fixed) / max(train, 1e-9)))
    if scale >= 1.0:
        return cfg, 1.0
    s = lambda n: max(1, round(n * scale))
    return replace(cfg, long_steps=s(cfg.long_steps), active_steps=s(cfg.active_steps),
                   frozen_steps=s(cfg.frozen_steps), eval_every=s(cfg.eval_every)), scale


def stage_table(stages: list[dict]) -> str:
    """Each finished stage on the validation split, for the report."""
    fmt = lambda x, f: "-" if x is None else format(x, f)  # spread is None when undefined
    rows = "".join(f"| {s['bits']} | {fmt(s['val_map'], '.4f')} | {fmt(s['spread'], '.2f')} | "
                   f"{s['steps']} |\n" for s in stages)
    return ("Stages (validation split; steps = where the stage ended, early stopping included):"
            "\n\n| bits | validation mAP | importance spread | steps |\n|---|---|---|---|\n"
            + rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--backbone", default="efficientnet_lite0",
                    help="any name trainer.backbones.build_backbone knows whose weights are "
                         "available offline (e.g. efficientnet_lite2, with --size 260)")
    ap.add_argument("--long-bits", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--long-steps", type=int, default=4000)
    ap.add_argument("--active-steps", type=int, default=400)
    ap.add_argument("--frozen-steps", type=int, default=2000)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--backbone-lr", type=float, default=1e-4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cls-weight", type=float, default=0.0,
                    help="classification term (head.cls_weight); 1 helped on the CPU runs")
    ap.add_argument("--lr-schedule", choices=("constant", "cosine"), default="constant",
                    help="learning rates constant, or decaying to 0 over the whole chain")
    ap.add_argument("--mix", choices=MIX_KINDS, default="none",
                    help="blend each training photo with another of its batch (finetune.mix; "
                         "targets blended too), against the 4,000 photos being learned by heart")
    ap.add_argument("--mix-alpha", type=float, default=1.0,
                    help="the blend's share is drawn from Beta(alpha, alpha)")
    ap.add_argument("--minutes", type=float, default=None,
                    help="time budget for training: step counts are scaled down to fit, from a "
                         "measured step time, and training stops at 1.15x the budget whatever "
                         "happens (the lengths finished by then are reported)")
    ap.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                    help="where cifar-finetune.md / .json are written (default bench/results)")
    ap.add_argument("--direct", type=int, default=None, metavar="BITS",
                    help="A instead of the chain: a BITS-bit hashing layer trained directly, "
                         "with the chain's whole step budget")
    ap.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS),
                    help="lengths scored on the query set (default 48 32 24 12)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--tag", default="", help="appended to the results' file names")
    ap.add_argument("--smoke", action="store_true", help="tiny CPU run that checks the script")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if unknown := sorted(set(args.lengths) - set(LENGTHS)):
        ap.error(f"--lengths {unknown}: the benchmark reports only {LENGTHS}")
    lengths = tuple(sorted(set(args.lengths), reverse=True))
    if args.direct is not None and args.direct not in lengths:
        ap.error(f"--direct {args.direct}: the length must be one of --lengths {lengths}")

    distributed = "LOCAL_RANK" in os.environ
    if distributed and args.minutes is not None:
        # each rank would read its own clock and stop at a different step, leaving the others
        # waiting in an all-reduce
        ap.error("--minutes is for one process; under torchrun set the step counts instead")
    if distributed:
        local = int(os.environ["LOCAL_RANK"])
        torch.distributed.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        device = f"cuda:{local}" if torch.cuda.is_available() else "cpu"
        if torch.cuda.is_available():
            torch.cuda.set_device(local)
    else:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    rank0 = not distributed or torch.distributed.get_rank() == 0
    t_start = time.time()
    images, labels, is_test = load_images()
    split = protocol1(labels, is_test, seed=0)
    if args.smoke:
        args.size, args.long_bits = 32, 24
        args.long_steps, args.active_steps, args.frozen_steps, args.eval_every = 4, 4, 4, 2
        args.batch_size = 16
        # index arrays are sorted by class: strides keep every class
        split = type(split)(split.query[::20], split.train, split.val[::25], split.fit[::20],
                            split.database[::118])
    stages = tuple(b for b in (64, 48, 32, 24, 12) if b < args.long_bits)
    cfg = HeadConfig(long_bits=args.long_bits, stages=stages, long_steps=args.long_steps,
                     active_steps=args.active_steps, frozen_steps=args.frozen_steps,
                     eval_every=args.eval_every, batch_size=args.batch_size, lr=args.lr,
                     merge_rounds=4, patience=4, seed=args.seed, cls_weight=args.cls_weight,
                     val_database=200 if args.smoke else 2000)
    if args.direct is not None:  # A: one stage at the final length, the chain's whole budget
        cfg = replace(cfg, long_bits=args.direct, stages=(), long_steps=total_steps(cfg))
    spec = input_spec_for(args.backbone, size=args.size, crop="none")

    def make_trainer(config: HeadConfig = cfg) -> HeadlineTrainer:
        return HeadlineTrainer(images, labels, split.fit, split.val, config,
                               build_backbone(args.backbone),
                               spec, device=device, backbone_lr=args.backbone_lr, amp=True,
                               lr_schedule=args.lr_schedule, mix=args.mix,
                               mix_alpha=args.mix_alpha)

    out = {"size": args.size, "device": device, "machine": machine(device), "args": {
        k: shown_path(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "map_all": {}, "health": {}, "stages": []}
    if args.minutes is not None:
        timing = calibrate(make_trainer, device)
        cfg, scale = fit_to_budget(cfg, timing, args.minutes,
                                   len(split.query) + len(split.database), lengths)
        out["budget"] = {"minutes": args.minutes, **timing, "scale": scale,
                         "steps_at_most": total_steps(cfg)}
        if rank0:
            print(f"calibration: {timing}; step counts x{scale:.2f}, at most "
                  f"{total_steps(cfg)} steps", flush=True)
    out["config"] = cfg.to_dict()
    trainer = make_trainer(cfg)
    t_train = time.time()
    name = ("cifar-finetune" + ("-smoke" if args.smoke else "")
            + (f"-direct{args.direct}" if args.direct is not None else "")
            + (f"-{args.tag}" if args.tag else ""))
    what = (f"A: a {args.direct}-bit hashing layer trained directly with the backbone, for the "
            f"chain's budget ({cfg.long_steps} steps at most, early stopping on the validation "
            "split)" if args.direct is not None else
            f"B: {args.long_bits}-bit code, then the NMLayer chain {' -> '.join(map(str, stages))}"
            f" with the backbone tuned in every stage ({total_steps(cfg)} steps at most)")

    def write_results(status: str) -> None:
        out["status"] = status
        out["wall_seconds"] = time.time() - t_start
        out["train_seconds"] = time.time() - t_train
        out["stages"] = [{"bits": s.bits, "val_map": s.val_map, "spread": s.importance_spread,
                          "steps": s.steps} for s in trainer.stages]
        args.results_dir.mkdir(parents=True, exist_ok=True)
        (args.results_dir / f"{name}.json").write_text(json.dumps(out, indent=1) + "\n")
        rows = "\n".join(f"| {L} | {out['map_all'][str(L)]:.4f} |" for L in lengths
                         if str(L) in out["map_all"])
        budget = out.get("budget")
        budget_line = (f"Time budget {budget['minutes']} min for training: measured "
                       f"{budget['step_s'] * 1000:.1f} ms per step, step counts scaled by "
                       f"{budget['scale']:.2f} (at most {budget['steps_at_most']} steps).\n\n"
                       if budget else "")
        (args.results_dir / f"{name}.md").write_text(
            f"# CIFAR-10 protocol 1, fine-tuned {args.backbone} + NMLayer ({args.size} px)\n\n"
            f"Command: `{nice_prefix()}{' '.join(sys.argv)}`\n\nMachine: {out['machine']}. "
            f"Wall time {out['wall_seconds'] / 60:.1f} min ({status}).\n\n"
            f"What was run: {what}.\n\n"
            f"{budget_line}"
            f"| bits | mAP@all |\n|---|---|\n{rows}\n\n{stage_table(out['stages'])}")

    def evaluate(bits: int) -> None:
        if not rank0 or bits not in lengths:
            return
        head = FoldedHead.from_state(trainer.heads[bits].state()).to(trainer.device)
        trainer.backbone.eval()  # train_step puts it back in training mode
        codes = []
        with torch.no_grad():
            for idx in (split.query, split.database):
                chunks = [head(trainer._backbone_features(idx[i:i + 512], False)).cpu()
                          for i in range(0, len(idx), 512)]
                codes.append(torch.cat(chunks).numpy() > 0)
        q, db = labels[split.query], labels[split.database]
        m = (mean_average_precision_torch(codes[0], q, codes[1], db, device=trainer.device)
             if trainer.device.type == "cuda" else mean_average_precision(codes[0], q, codes[1],
                                                                           db))
        out["map_all"][str(bits)] = m
        out["health"][str(bits)] = code_health(codes[1])
        print(f"{bits} bits: mAP@all {m:.4f} ({(time.time() - t_start) / 60:.1f} min)",
              flush=True)
        write_results("running")

    trainer.on_stage_final = evaluate

    def progress(p):
        if rank0 and (p["val_map"] is not None or p["step"] % 100 == 0):
            print(f"step {p['step']}/{p['steps']} stage {p['stage']} bits {p['bits']} "
                  f"loss {p['loss']:.4f} val_map {p['val_map']} "
                  f"({(time.time() - t_start) / 60:.1f} min)", flush=True)

    deadline = None if args.minutes is None else t_train + 1.15 * args.minutes * 60
    status = "finished"
    try:
        trainer.run(progress, should_stop=None if deadline is None else
                    (lambda: time.time() > deadline))
    except Stopped:
        status = "stopped at the time budget"
    if rank0:
        write_results(status)
        print(f"{status}: {json.dumps(out['map_all'])}", flush=True)
    if distributed:
        torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
