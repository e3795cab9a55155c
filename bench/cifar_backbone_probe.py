"""Which offline backbone to fine-tune for the CIFAR-10 headline: a linear probe on frozen features.

For each backbone (at the input size given), the 5,000 protocol-1 training images and the 1,000
queries are upscaled and encoded by the frozen ImageNet network; a softmax classifier is fitted
on the 4,000 fitting images, its weight decay chosen on the 1,000 validation images (never on the
queries), and then scored on the queries. Frozen ImageNet features of 32-pixel photos are weak,
so the figures rank backbones; they are not the headline. Also reported: the CPU time per image
of the frozen forward pass (what the app would pay per photo with that backbone).
Features are cached in the bench cache (~/.cache/lookalike-bench/features), so a rerun only
refits the probes and times the forward passes.

    .venv/bin/python bench/cifar_backbone_probe.py   # Lite0@224, Lite0@260, Lite1@240, Lite2@260
    .venv/bin/python bench/cifar_backbone_probe.py --backbones efficientnet_lite2:224
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header
from cifar_data import RESULTS_DIR, cache_root, load_images, protocol1

DEFAULT = ("efficientnet_lite0:224,efficientnet_lite0:260,"
           "efficientnet_lite1:240,efficientnet_lite2:260")
DECAYS = (1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)


def encode(images: np.ndarray, name: str, size: int, threads: int) -> np.ndarray:
    """Frozen features (cached outside the repository)."""
    from trainer.features import extract_array_features, input_spec_for

    spec = input_spec_for(name, size=size, crop="none")
    return extract_array_features(images, backbone=name, spec=spec,
                                  cache_dir=cache_root() / "features", batch_size=64,
                                  threads=threads)


def forward_ms(images: np.ndarray, name: str, size: int, threads: int) -> float:
    """Wall ms per image of the frozen forward pass alone (onnxruntime, batches of 64, best
    of 3 passes over `images`), never from a cache."""
    from trainer.features import FeatureExtractor, array_tensors, input_spec_for

    spec = input_spec_for(name, size=size, crop="none")
    pixels = array_tensors(images, spec)
    ext = FeatureExtractor(name, threads=threads, size=spec.size, engine="onnx")
    ext(pixels[:64])  # exports the graph and warms up
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(0, len(pixels), 64):
            ext(pixels[i:i + 64])
        best = min(best, time.perf_counter() - t0)
    return 1000 * best / len(pixels)


def probe(x_fit, y_fit, x_eval, decay: float, steps: int = 300):
    """Softmax regression by full-batch L-BFGS on standardised features; eval logits."""
    import torch

    mean, std = x_fit.mean(0), x_fit.std(0) + 1e-6
    xf = torch.from_numpy((x_fit - mean) / std)
    yf = torch.from_numpy(y_fit)
    lin = torch.nn.Linear(xf.shape[1], 10)
    opt = torch.optim.LBFGS(lin.parameters(), lr=1, max_iter=steps, history_size=20,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(lin(xf), yf) + decay * lin.weight.square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return [lin(torch.from_numpy((x - mean) / std)).argmax(1).numpy() for x in x_eval]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backbones", default=DEFAULT, help="NAME:SIZE,... (default: %(default)s)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--results", default=str(RESULTS_DIR / "cifar-backbone-probe"))
    args = ap.parse_args()

    images, labels, is_test = load_images()
    split = protocol1(labels, is_test)
    idx = np.concatenate([split.fit, split.val, split.query])
    n_fit, n_val = len(split.fit), len(split.val)
    y = labels[idx].astype(np.int64)
    rows = []
    for item in args.backbones.split(","):
        name, size = item.split(":")
        feats = encode(images[idx], name, int(size), args.threads)
        x = feats.astype(np.float32)
        parts = x[:n_fit], x[n_fit:n_fit + n_val], x[n_fit + n_val:]
        ys = y[:n_fit], y[n_fit:n_fit + n_val], y[n_fit + n_val:]
        best = None
        for decay in DECAYS:  # chosen on validation only
            val_pred, query_pred = probe(parts[0], ys[0], parts[1:], decay)
            val_acc = float((val_pred == ys[1]).mean())
            if best is None or val_acc > best["val_acc"]:
                best = {"decay": decay, "val_acc": val_acc,
                        "query_acc": float((query_pred == ys[2]).mean())}
        row = {"backbone": name, "size": int(size), **best,
               "forward_ms": forward_ms(images[split.val[:256]], name, int(size), args.threads)}
        rows.append(row)
        print(json.dumps(row), flush=True)

    out = Path(args.results)
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = [header("CIFAR-10 protocol 1: frozen-backbone linear probe, offline backbones"), "",
             ("Softmax regression on frozen ImageNet features of the upscaled 32-px images: fitted "
             "on the 4,000 fitting images, weight decay chosen on the 1,000 validation images, "
             "scored on the 1,000 queries. Forward: wall ms per image of the frozen network "
             f"alone through onnxruntime, batches of 64 on {args.threads} threads, best of 3 "
             "passes over 256 images."), "",
             ("| backbone | input px | validation accuracy | query accuracy | weight decay | "
             "forward ms / image |"), "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['backbone']} | {r['size']} | {r['val_acc']:.3f} | "
                     f"{r['query_acc']:.3f} | {r['decay']:g} | {r['forward_ms']:.1f} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
