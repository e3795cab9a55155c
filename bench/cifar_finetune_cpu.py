"""The headline within a CPU's reach: CIFAR-10 protocol 1, EfficientNet-Lite0 fine-tuned end to end
at a reduced input size, then the NMLayer chain (B) and direct heads (A) on its features.

bench/cifar_finetune.py fine-tunes the backbone through every NMLayer stage; on this 2-core CPU
that is days of work. This script spends the CPU where it matters most:

1. Fine-tune the backbone together with a 128-bit hash head (the long code, stage 0 of the
   chain) for `--steps` steps, model selection on the validation split every `--eval-every`.
2. Freeze that backbone, extract its features for all 60,000 images once.
3. On those features, the same A-vs-B comparison as bench/cifar_ablation.py: B the progressive
   NMLayer chain 128 -> 64 -> 48 -> 32 -> 24 -> 12, A a head trained directly at each length
   with B's whole step budget.
4. The headline: the same NMLayer chain started from the tuned 128-bit head of step 1 (as the
   method does: the chain starts from the trained long-code network), not from a fresh head.
   This was fixed as the headline before the first run that had it, not chosen on query results.

The query set is touched once, at the end. Results:
bench/results/cifar-finetune-cpu-<size>px[-cls][-cosine][-<tag>].md / .json.

    nice -n 5 .venv/bin/python bench/cifar_finetune_cpu.py --size 96 --steps 1500
    nice -n 5 .venv/bin/python bench/cifar_finetune_cpu.py --size 160 --steps 600 --cls-weight 1 \
        --lr-schedule cosine
    nice -n 5 .venv/bin/python bench/cifar_finetune_cpu.py --size 160 --steps 1200 --cls-weight 1 \
        --lr-schedule cosine --tag 1200s
    nice -n 5 .venv/bin/python bench/cifar_finetune_cpu.py --size 224 --steps 600 --cls-weight 1 \
        --lr-schedule cosine --augment crop
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cpu_model, nice_prefix
from cifar_ablation import (
    HEAD_BASE,
    LENGTHS,
    chain_from_head,
    compare_heads,
    float_cosine_map,
    query_map,
)
from cifar_data import RESULTS_DIR, cache_root, load_images, protocol1

# trainer.export is imported up front: an edit to the tree during an hour-long run must not break
# its late, lazy import (it did once).
import trainer.export  # noqa: F401
from trainer.backbones import FlipAveraged, build_backbone
from trainer.features import FeatureExtractor, input_spec_for
from trainer.finetune import MIX_KINDS, FinetuneTrainer
from trainer.training import HeadConfig

MACHINE = f"2-core x86_64 CPU ({cpu_model()}), no GPU, 24 GiB"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def finetune(images, labels, split, args) -> tuple[FinetuneTrainer, torch.nn.Module, dict]:
    # --fit-all: the recipe (steps, schedule) was chosen earlier on the validation split; the
    # backbone now learns from all 5,000 training photos, as the published methods do, and keeps
    # its final weights (one evaluation, at the last step, so nothing is selected on seen photos).
    fit = split.train if args.fit_all else split.fit
    eval_every = args.steps if args.fit_all else args.eval_every
    cfg = HeadConfig(long_bits=128, stages=(), long_steps=args.steps, eval_every=eval_every,
                     patience=args.patience, batch_size=args.batch_size, lr=1e-3,
                     seed=args.seed, val_database=2000, cls_weight=args.cls_weight,
                     feature_mix=args.feature_mix)
    spec = input_spec_for(args.backbone, size=args.size, crop="none")
    trainer = FinetuneTrainer(images, labels, fit, split.val, cfg,
                              build_backbone(args.backbone), spec,
                              device="cpu", backbone_lr=args.backbone_lr, amp=False,
                              augment=True if args.augment == "shift" else args.augment,
                              lr_schedule=args.lr_schedule, batchnorm=args.batchnorm,
                              mix=args.mix, mix_alpha=args.mix_alpha,
                              cpu_bfloat16=args.bf16, flip_average=args.flip_average,
                              ema_decay=args.ema_decay)
    t0 = time.time()

    def progress(p):
        if p["val_map"] is not None or p["step"] % 50 == 0:
            rate = p["step"] * args.batch_size / max(1e-9, time.time() - t0)
            log(f"fine-tune step {p['step']}/{p['steps']} loss {p['loss']:.4f} "
                f"val_map {p['val_map']} ({rate:.0f} img/s)")

    result = trainer.run(progress)  # ends with the best validation weights restored
    stage = result.stages[-1]
    return trainer, result.head(128), {"seconds": time.time() - t0, "steps": result.steps,
                     "val_map_128": stage.val_map, "spread_128": stage.importance_spread,
                     "history": [h for h in result.history if "val_map" in h]}


def finetuned_features(trainer: FinetuneTrainer, n: int, threads: int, mirrored: bool = False,
                       flip_average: bool = False) -> np.ndarray:
    """The tuned backbone's features for all images, through onnxruntime (faster than torch here);
    pixels are made by the trainer's own `_pixels`, so they match what it was tuned on.
    `mirrored`: of every photo flipped left-right; `flip_average`: the mean of both, as the
    trainer's backbone.flip_average exports them (one graph)."""
    trainer.backbone.eval()
    model = FlipAveraged(trainer.backbone) if flip_average else trainer.backbone
    extractor = FeatureExtractor(model=model, size=tuple(trainer.spec.size),
                                 threads=threads, engine="onnx")
    out = np.zeros((n, trainer.backbone.feature_dim), np.float32)
    t0 = time.time()
    with torch.no_grad():
        for i in range(0, n, 256):
            idx = np.arange(i, min(n, i + 256))
            pixels = trainer._pixels(idx, False).float()
            if mirrored:
                pixels = pixels.flip(-1)
            out[idx] = extractor(pixels.contiguous().numpy())
            if i % 10240 == 0:
                log(f"features {i}/{n} ({i / max(1e-9, time.time() - t0):.0f} img/s)")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=96, help="input size the 32 px photos go up to")
    ap.add_argument("--backbone", default="efficientnet_lite0",
                    help="a trainer backbone whose weights are available offline (e.g. "
                         "efficientnet_lite2)")
    ap.add_argument("--steps", type=int, default=1500, help="fine-tuning steps (batches)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--eval-every", type=int, default=150)
    ap.add_argument("--patience", type=int, default=4)
    ap.add_argument("--backbone-lr", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr-schedule", choices=("constant", "cosine"), default="constant",
                    help="fine-tuning learning rates: constant, or decaying to 0 over --steps")
    ap.add_argument("--augment", choices=("shift", "crop"), default="shift",
                    help="fine-tuning augmentation: flip + one shift for the whole batch "
                         "(shift), or every photo its own random crop, shift and flip (crop)")
    ap.add_argument("--batchnorm", choices=("frozen", "train"), default="frozen",
                    help="BatchNorm in fine-tuning: ImageNet statistics kept (frozen), or batch "
                         "statistics with the running ones updated (train)")
    ap.add_argument("--mix", choices=MIX_KINDS, default="none",
                    help="blend each fine-tuning photo with another of its batch "
                         "(finetune.mix; targets blended too)")
    ap.add_argument("--mix-alpha", type=float, default=1.0,
                    help="the blend's share is drawn from Beta(alpha, alpha)")
    ap.add_argument("--cls-weight", type=float, default=0.0,
                    help="weight of the classification term (head.cls_weight) in fine-tuning "
                         "and in both A and B; 0 = the pairwise loss of the method notes only")
    ap.add_argument("--bf16", action="store_true",
                    help="fine-tune under bfloat16 autocast (weights stay float32; 1.55x faster "
                         "steps at 224 px on an AMX Xeon, bench/results/finetune-step-speed.md); "
                         "the features for the heads are extracted in float32 as before")
    ap.add_argument("--fit-all", action="store_true",
                    help="fine-tune the backbone on all 5,000 training photos (fit + validation) "
                         "and keep its final weights, no selection; the heads still fit on the "
                         "4,000 and select on the 1,000, which the backbone has then seen")
    ap.add_argument("--flip-features", action="store_true",
                    help="also extract the features of every photo mirrored left-right and save "
                         "their mean with the plain ones beside the features file (*-flipavg.npy; "
                         "for head experiments; --flip-average uses them throughout instead); "
                         "the results here use the plain features")
    ap.add_argument("--flip-average", action="store_true",
                    help="the trainer's backbone.flip_average: every photo's features are the "
                         "mean of its own and its mirror image's, in fine-tuning's validation, "
                         "in the features the heads train on and in the results (the encoder "
                         "the trainer would export)")
    ap.add_argument("--feature-mix", type=float, default=0.0,
                    help="in fine-tuning, the share of training photos whose backbone features "
                         "are blended with another's before the head (head.feature_mix, "
                         "weights from Beta(0.4, 0.4)); the heads trained afterwards on the "
                         "frozen features keep the headline's settings (no blending)")
    ap.add_argument("--ema-decay", type=float, default=0.0,
                    help="validate and keep an exponential moving average of the weights with "
                         "this decay (finetune.ema_decay, e.g. 0.995) instead of the last "
                         "step's; 0 = off")
    ap.add_argument("--tag", default="", help="appended to the results' file names, so a run "
                    "with other settings keeps an earlier one's results (e.g. 1200s)")
    ap.add_argument("--smoke", action="store_true", help="a few steps of everything, to check "
                    "the script (results go to cifar-finetune-cpu-smoke.*)")
    args = ap.parse_args()
    if args.flip_average and args.flip_features:
        ap.error("--flip-features saves flip-averaged features beside plain ones; with "
                 "--flip-average every feature is flip-averaged already: give one of them")
    if args.smoke:
        args.size, args.steps, args.eval_every = 32, 4, 2
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    t_start = time.time()
    images, labels, is_test = load_images()
    split = protocol1(labels, is_test, seed=0)
    out: dict = {"args": vars(args), "machine": MACHINE, "python": platform.python_version(),
                 "torch": torch.__version__}

    trainer, head128, out["finetune"] = finetune(images, labels, split, args)
    net_state = trainer.net.state()  # the tuned long-code head, where B_tuned starts
    log(f"fine-tuned: validation mAP {out['finetune']['val_map_128']:.4f} at 128 bits")
    feats = finetuned_features(trainer, len(images), args.threads,
                               flip_average=args.flip_average)
    mirrored = (finetuned_features(trainer, len(images), args.threads, mirrored=True)
                if args.flip_features else None)
    if not args.smoke:  # kept for further head experiments on the same features
        run = result_name(args, tag=False).removeprefix("cifar-finetune-cpu-")  # e.g. 128px-cls
        # e.g. finetuned-lite0-160px-cls-cosine-600s, finetuned-160px-lite2-cls-cosine-600s
        net = "lite0-" if args.backbone == "efficientnet_lite0" else ""
        cache = cache_root() / "features" / f"finetuned-{net}{run}-{args.steps}s.npy"
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, feats)
        torch.save(net_state, cache.with_suffix(".head.pt"))
        # The tuned weights too (19 MB for Lite0): other feature experiments (another test-time
        # view, another input size) then need no second fine-tuning.
        torch.save(trainer.backbone.state_dict(), cache.with_suffix(".backbone.pt"))
        if mirrored is not None:
            np.save(cache.with_name(cache.stem + "-flipavg.npy"), (feats + mirrored) / 2)
    # The fine-tuned 128-bit model itself, for context (its head was selected on validation).
    m128, _ = query_map(head128, feats, labels, split)
    out["finetuned_128_map_all"] = m128
    log(f"fine-tuned model, 128 bits: query mAP@all {m128:.4f}")
    if args.cls_weight:  # context: how well the tuned network classifies the queries
        out["finetuned_128_query_accuracy"] = query_accuracy(net_state, feats, labels, split)
    del trainer

    torch.set_num_threads(1)  # the heads are small
    head_base = {**HEAD_BASE, "cls_weight": args.cls_weight}
    if args.smoke:
        head_base.update(long_steps=20, active_steps=8, frozen_steps=20, eval_every=10)
    run = compare_heads(feats, labels, split, head_base, args.seed)
    out["budget_steps"], out["B"], out["A"] = run["budget_steps"], run["B"], run["A"]
    out["B_tuned"] = chain_from_head(feats, labels, split, head_base, args.seed, net_state)
    out["float_cosine_map"] = float_cosine_map(feats, labels, split)  # context
    out["wall_seconds"] = time.time() - t_start
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{result_name(args)}.json").write_text(json.dumps(out, indent=1) + "\n")
    write_report(out, args)
    return 0


def query_accuracy(net_state: dict, feats: np.ndarray, labels: np.ndarray, split) -> float:
    from trainer.model import HashNet

    net = HashNet.from_state(net_state).eval()
    with torch.no_grad():
        logits = net.class_logits(net(torch.from_numpy(feats[split.query])))
    return float((logits.argmax(1).numpy() == labels[split.query]).mean())


def result_name(args, tag: bool = True) -> str:
    if args.smoke:
        return "cifar-finetune-cpu-smoke"
    return (f"cifar-finetune-cpu-{args.size}px"
            + ("" if args.backbone == "efficientnet_lite0" else
               "-" + args.backbone.removeprefix("efficientnet_"))
            + ("-cls" if args.cls_weight else "")
            + ("-cosine" if args.lr_schedule == "cosine" else "")
            + ("-crop" if args.augment == "crop" else "")
            + ("-bntrain" if args.batchnorm == "train" else "")
            + ("" if args.mix == "none" else f"-{args.mix}")
            + (f"-ftfmix{args.feature_mix:g}" if args.feature_mix else "")
            + (f"-alpha{args.mix_alpha:g}" if args.mix != "none" and args.mix_alpha != 1 else "")
            + (f"-blr{args.backbone_lr:g}" if args.backbone_lr != 1e-4 else "")
            + ("-fitall" if args.fit_all else "")
            + ("-bf16" if args.bf16 else "")
            + (f"-seed{args.seed}" if args.seed else "")  # keeps seed 0's cached features
            + ("-flipavg" if args.flip_average else "")
            + (f"-ema{args.ema_decay:g}" if args.ema_decay else "")
            + (f"-{args.tag}" if tag and args.tag else ""))


def write_report(out: dict, args) -> None:
    goal = {48: 0.85, 32: 0.84, 24: 0.83, 12: 0.80}
    ft = out["finetune"]
    lines = [
        f"# CIFAR-10 protocol 1 headline on a CPU: {args.backbone} fine-tuned at {args.size} px",
        "",
        (f"Command: `{nice_prefix()}.venv/bin/python bench/cifar_finetune_cpu.py "
         f"--size {args.size} "
         + (f"--backbone {args.backbone} " if args.backbone != "efficientnet_lite0" else "") +
         f"--steps {args.steps} --batch-size {args.batch_size} --eval-every {args.eval_every} "
         f"--patience {args.patience}"
         + (f" --cls-weight {args.cls_weight:g}" if args.cls_weight else "")
         + (" --lr-schedule cosine" if args.lr_schedule == "cosine" else "")
         + (" --augment crop" if args.augment == "crop" else "")
         + (" --batchnorm train" if args.batchnorm == "train" else "")
         + ("" if args.mix == "none" else f" --mix {args.mix}")
         + (f" --feature-mix {args.feature_mix:g}" if args.feature_mix else "")
         + (f" --mix-alpha {args.mix_alpha:g}" if args.mix != "none" and args.mix_alpha != 1
            else "")
         + (f" --backbone-lr {args.backbone_lr:g}" if args.backbone_lr != 1e-4 else "")
         + (" --fit-all" if args.fit_all else "")
         + (" --bf16" if args.bf16 else "")
         + (f" --seed {args.seed}" if args.seed else "")
         + (" --flip-features" if args.flip_features else "")
         + (" --flip-average" if args.flip_average else "")
         + (f" --ema-decay {args.ema_decay:g}" if args.ema_decay else "")
         + (f" --tag {args.tag}" if args.tag else "") + "`"),
        (f"Machine: {out['machine']} (Python {out['python']}, torch {out['torch']}). "
         f"Wall time {out['wall_seconds'] / 60:.1f} min, of which fine-tuning "
         f"{ft['seconds'] / 60:.1f} min ({ft['steps']} steps of {args.batch_size})."),
        "",
        ("What was run: the backbone is fine-tuned end to end with a 128-bit hash head (stage 0 "
         + ("of the chain; on all 5,000 training photos, validation split included, final "
            "weights kept with no selection, so every validation figure below is on photos the "
            "backbone has seen; the heads still fit on the 4,000 and select on the 1,000; "
            if args.fit_all else "of the chain; model selection on the validation split; ")
         + "BatchNorm "
         + ("on batch statistics, running statistics updated" if args.batchnorm == "train" else
            "statistics frozen at ImageNet's")
         + ("; forward passes under bfloat16 autocast, weights in float32" if args.bf16 else "")
         + ("; validation on flip-averaged features, each photo's averaged with its mirror "
            "image's (backbone.flip_average), as the features the heads train on"
            if args.flip_average else "")
         + ("; the training photos' backbone features blended in pairs before the head "
            f"(head.feature_mix = {args.feature_mix:g}, the share of photos blended; the photos "
            "stay whole)"
            if args.feature_mix else "")
         + (f"; validated and kept: a moving average of the weights, backbone and head "
            f"(finetune.ema_decay = {args.ema_decay:g}), not the last step's"
            if args.ema_decay else "")
         + "), then frozen; the NMLayer chain "
         "(B) and directly trained heads (A, same step budget) run on its features. The "
         "headline chain starts from the tuned 128-bit head itself (its stage 0 is that head, "
         f"so it trains {out['B_tuned']['budget_steps']} steps, not {out['budget_steps']}). Loss: "
         + (f"pairwise likelihood + quantisation + {args.cls_weight:g} x classification term "
            "(head.cls_weight), in fine-tuning and in both A and B. " if args.cls_weight else
            "pairwise likelihood + quantisation. ") + "The "
         "paper-style run that also tunes the backbone in every NMLayer stage is "
         "bench/cifar_finetune.py, written for a GPU (results: "
         "bench/results/cifar-finetune-h200.md)."),
        "",
        (f"Fine-tuned 128-bit model: validation mAP {ft['val_map_128']:.4f}, query mAP@all "
         f"{out['finetuned_128_map_all']:.4f}"
         + (f", query classification accuracy {out['finetuned_128_query_accuracy']:.3f}"
            if "finetuned_128_query_accuracy" in out else "")
         + ". Float features of the fine-tuned backbone, cosine "
         f"ranking: mAP@all {out['float_cosine_map']:.4f}."),
        "",
        "mAP@all, 1,000 queries against the 59,000-image database:",
        "",
        ("| bits | B from the tuned head (headline) | the same, order-free | its validation mAP "
         "| B from a fresh head | A direct | headline - A | goal | DSDH (published) |"),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    dsdh = {48: 0.820, 32: 0.801, 24: 0.786, 12: 0.740}
    bt = out["B_tuned"]
    for L in LENGTHS:
        h, b, a = bt[str(L)]["map_all"], out["B"][str(L)]["map_all"], out["A"][str(L)]["map_all"]
        v = next(s["val_map"] for s in bt["stages"] if s["bits"] == L)
        free = bt[str(L)].get("map_all_tie_aware")  # absent from results made before it
        lines.append(f"| {L} | {h:.4f} | {'n/a' if free is None else f'{free:.4f}'} | "
                     f"{v:.4f} | {b:.4f} | {a:.4f} | {h - a:+.4f} | {goal[L]:.2f} | "
                     f"{dsdh[L]:.3f} |")
    lines += ["", ("Ties of Hamming distance are broken in database order (the protocol; this "
                   "database is stored class by class); order-free: averaged over every order "
                   "of the tied photos (trainer.metrics.tie_aware_map)."),
              "", "Validation mAP during fine-tuning (step: mAP): " + ", ".join(
        f"{h['step']}: {h['val_map']:.3f}" for h in ft["history"]), ""]
    (RESULTS_DIR / f"{result_name(args)}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
