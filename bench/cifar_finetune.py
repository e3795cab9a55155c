"""The headline: CIFAR-10 protocol 1 end to end (EfficientNet-Lite0 fine-tuned with the hash head
and the progressive NMLayer chain), mAP@all at 48/32/24/12 bits. Written for a GPU:

    .venv/bin/python bench/cifar_finetune.py --size 224                 # one GPU
    torchrun --nproc_per_node 4 bench/cifar_finetune.py --size 224      # several GPUs (DDP)

Model selection uses the validation split of the 5,000 training images only; the query set is
used once, at the end. `--smoke` runs a few steps on a CPU to check the script itself.
Results: bench/results/cifar-finetune.md / .json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cifar_data import RESULTS_DIR, load_images, protocol1

from trainer.backbones import build_backbone
from trainer.features import input_spec_for
from trainer.finetune import FinetuneTrainer
from trainer.metrics import code_health, mean_average_precision
from trainer.model import FoldedHead
from trainer.training import HeadConfig

LENGTHS = (48, 32, 24, 12)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=224)
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
    ap.add_argument("--smoke", action="store_true", help="tiny CPU run that checks the script")
    args = ap.parse_args()

    distributed = "LOCAL_RANK" in os.environ
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
    spec = input_spec_for("efficientnet_lite0", size=args.size, crop="none")
    trainer = FinetuneTrainer(images, labels, split.fit, split.val, cfg, build_backbone(), spec,
                              device=device, backbone_lr=args.backbone_lr, amp=True,
                              lr_schedule=args.lr_schedule)

    def progress(p):
        if rank0 and (p["val_map"] is not None or p["step"] % 100 == 0):
            print(f"step {p['step']}/{p['steps']} stage {p['stage']} bits {p['bits']} "
                  f"loss {p['loss']:.4f} val_map {p['val_map']}", flush=True)

    result = trainer.run(progress)
    out = {"size": args.size, "device": device, "args": vars(args), "stages": [
        {"bits": s.bits, "val_map": s.val_map, "spread": s.importance_spread} for s in
        result.stages], "map_all": {}, "health": {}}
    if rank0:
        for L in LENGTHS:
            if L not in result.heads:
                continue
            trainer.backbone.load_state_dict(trainer.backbones[L])
            trainer.net_for_eval = FoldedHead.from_state(result.head(L).state()).to(trainer.device)
            trainer.backbone.eval()
            codes = []
            with torch.no_grad():
                for idx in (split.query, split.database):
                    chunks = [trainer.net_for_eval(trainer._backbone_features(idx[i:i + 256],
                                                                              False)).cpu()
                              for i in range(0, len(idx), 256)]
                    codes.append(torch.cat(chunks).numpy() > 0)
            m = mean_average_precision(codes[0], labels[split.query], codes[1],
                                       labels[split.database])
            out["map_all"][str(L)] = m
            out["health"][str(L)] = code_health(codes[1])
            print(f"{L} bits: mAP@all {m:.4f}", flush=True)
        out["wall_seconds"] = time.time() - t_start
        name = "cifar-finetune-smoke" if args.smoke else "cifar-finetune"
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / f"{name}.json").write_text(json.dumps(out, indent=1) + "\n")
        rows = "\n".join(f"| {L} | {out['map_all'][str(L)]:.4f} |" for L in LENGTHS
                         if str(L) in out["map_all"])
        (RESULTS_DIR / f"{name}.md").write_text(
            f"# CIFAR-10 protocol 1, fine-tuned EfficientNet-Lite0 + NMLayer ({args.size} px)\n\n"
            f"Command: `{' '.join(sys.argv)}` on {device}; wall time "
            f"{out['wall_seconds'] / 60:.1f} min.\n\n| bits | mAP@all |\n|---|---|\n{rows}\n")
    if distributed:
        torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
