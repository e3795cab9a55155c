"""Which supervision makes the best general-photo default model? Measured on the validation split.

    nice -n 10 .venv/bin/python -m bench.default_model_supervision [--bits 48] [--out FILE]

Every candidate is trained on the same cached features of 2,000 CIFAR-10 *training* photos
(upscaled to 256 px; their CIFAR labels are never used for training) and one edited copy of each,
and judged on a validation split disjoint from them (400 other training photos, one edited copy
each), never on the benchmark's test photos:
  - near-duplicate recall@1: each edited copy searched among the 400 validation originals plus the
    2,000 training originals;
  - same-kind mAP@100 with CIFAR classes (leave-one-out within the 400);
  - teacher-agreement mAP@100: relevant = same top-1 ImageNet class (a proxy for "same kind of
    thing" beyond the ten CIFAR classes).
Candidates: float features (cosine), pHash, ITQ, edit-invariant ITQ, ITQ + edit-invariant ITQ side
by side, the project's NMLayer head (trainer.training.HeadTrainer via trainer.teacher) with
ImageNet-teacher labels, float-feature similarity and edit pairs, and the two-part 96-bit designs
(`--only 32+eitq64`). Results: bench/results/default-model-supervision.md.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench import default_model_data as data
from bench.default_model_features import features, phashes
from bench.default_model_metrics import map_at_k, recall_at_1
from trainer.teacher import (
    TeacherLoss,
    edit_invariant_itq_head,
    head_outputs,
    imagenet_probabilities,
    itq_head,
    teacher_labels,
    train_teacher_head,
)
from trainer.training import HeadConfig


def load():
    tr, va = data.training_set(), data.validation_set()
    return {"train": features(tr.photos), "train_edits": features(tr.edited),
            "val": features(va.photos), "val_edits": features(va.edited),
            "train_set": tr, "val_set": va}


def evaluate(encode, d, kind="bits") -> dict[str, float]:
    """encode(features) -> codes or features; returns the validation metrics."""
    va = d["val_set"]
    db = np.concatenate([encode(d["val"]), encode(d["train"])])
    q = encode(d["val_edits"])
    target = np.arange(len(va.photos))
    rec = recall_at_1(q, db, target, va.edit_kind, kind)
    # The benchmark's database holds 1,000 photos: the same search among 400 + 600 originals.
    rec1000 = recall_at_1(q, db[:len(va.photos) + 600], target, va.edit_kind, kind)
    val_codes = db[:len(va.photos)]
    top1 = imagenet_probabilities(d["val"]).argmax(axis=1)
    return {"recall1": rec["all"], "recall1_db1000": rec1000["all"], "recall1_by_edit": rec,
            "map100_cifar": map_at_k(val_codes, va.cifar_labels, kind),
            "map100_teacher": map_at_k(val_codes, top1, kind)}


def train_candidate(d, bits: int, top_k: int, edits: bool, loss: TeacherLoss,
                    cfg: HeadConfig):
    """Rows: train originals, [their edits], val originals (model selection on the last)."""
    n_tr, n_va = len(d["train"]), len(d["val"])
    lab_tr = teacher_labels(d["train"], top_k=top_k)
    feats, labels = [d["train"]], [lab_tr]
    partner = [np.full(n_tr, -1)]
    if edits:
        feats.append(d["train_edits"])
        labels.append(lab_tr)  # an edited copy is the same photo: it keeps the original's labels
        partner = [np.arange(n_tr) + n_tr, np.arange(n_tr)]
    feats.append(d["val"])
    labels.append(teacher_labels(d["val"], top_k=top_k))
    partner.append(np.full(n_va, -1))
    f, y, partner = np.concatenate(feats), np.concatenate(labels), np.concatenate(partner)
    y = y[:, y.any(axis=0)]
    fit, val = np.arange(len(f) - n_va), np.arange(len(f) - n_va, len(f))
    stages = tuple(s for s in cfg.stages if s > bits) + (bits,)
    res = train_teacher_head(f, y, fit, val, partner, replace(cfg, stages=stages), loss)
    return res.head(bits), res


CANDIDATES = {
    # name: (top_k, with edits, loss)
    "teacher-top1": (1, False, TeacherLoss(teacher=1.0)),
    "teacher-top3": (3, False, TeacherLoss(teacher=1.0)),
    "teacher-top3+edits": (3, True, TeacherLoss(teacher=1.0)),
    "teacher-top3+edits+pair": (3, True, TeacherLoss(teacher=1.0, edit_pair=1.0)),
    "similarity": (3, False, TeacherLoss(teacher=0.0, similarity=1.0)),
    "similarity+edits+pair": (3, True, TeacherLoss(teacher=0.0, similarity=1.0, edit_pair=1.0)),
    "teacher-top3+similarity+edits+pair": (3, True, TeacherLoss(teacher=1.0, similarity=1.0,
                                                                edit_pair=1.0)),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bits", type=int, default=48)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args(argv)
    d = load()
    rows = {}

    def record(name, metrics, seconds=0.0):
        metrics["seconds"] = round(seconds, 1)
        rows[name] = metrics
        print(json.dumps({"candidate": name, **{k: (round(v, 4) if isinstance(v, float) else v)
                                                for k, v in metrics.items()
                                                if k != "recall1_by_edit"},
                          "by_edit": {k: round(v, 3) for k, v in
                                      metrics["recall1_by_edit"].items()}}), flush=True)

    want = set(args.only or [])

    def wanted(name):
        return not want or any(w in name for w in want)

    if wanted("float"):
        record("float features (cosine)", evaluate(lambda f: f, d, "float"))
    if wanted("phash"):
        va, tr = d["val_set"], d["train_set"]
        ph = {"val": phashes(va.photos), "train": phashes(tr.photos),
              "val_edits": phashes(va.edited)}
        db = np.concatenate([ph["val"], ph["train"]])
        rec = recall_at_1(ph["val_edits"], db, np.arange(len(va.photos)), va.edit_kind, "bits")
        top1 = imagenet_probabilities(d["val"]).argmax(axis=1)
        rec1000 = recall_at_1(ph["val_edits"], db[:len(va.photos) + 600],
                              np.arange(len(va.photos)), va.edit_kind, "bits")
        record("pHash 64", {"recall1": rec["all"], "recall1_db1000": rec1000["all"],
                            "recall1_by_edit": rec,
                            "map100_cifar": map_at_k(ph["val"], va.cifar_labels, "bits"),
                            "map100_teacher": map_at_k(ph["val"], top1, "bits")})
    for bits in sorted({args.bits, 64}):
        if wanted(f"itq{bits}"):
            t = time.time()
            head = itq_head(np.concatenate([d["train"], d["train_edits"]]), bits)
            record(f"itq{bits}", evaluate(lambda f, h=head: head_outputs(h, f), d),
                   time.time() - t)
    both = np.concatenate([d["train"], d["train_edits"]])
    for bits, reg in ((48, 1.0), (48, 3.0), (64, 3.0), (96, 3.0), (128, 3.0)):
        if wanted(f"eitq{bits}"):
            head = edit_invariant_itq_head(both, d["train"], d["train_edits"], bits, reg)
            record(f"eitq{bits}-reg{reg:g}", evaluate(lambda f, h=head: head_outputs(h, f), d))
    for sem, nd in ((24, 24), (32, 32), (48, 48), (32, 64), (64, 64)):
        if wanted(f"itq{sem}+eitq{nd}"):
            hs = itq_head(both, sem)
            hn = edit_invariant_itq_head(both, d["train"], d["train_edits"], nd, 3.0)
            record(f"itq{sem}+eitq{nd}", evaluate(
                lambda f, a=hs, b=hn: np.concatenate([head_outputs(a, f), head_outputs(b, f)],
                                                     1), d))
    cfg = HeadConfig(long_bits=128, stages=(64, 48), long_steps=600, active_steps=200,
                     frozen_steps=400, eval_every=100)
    for name, (top_k, edits, loss) in CANDIDATES.items():
        name = f"{name}-{args.bits}"
        if not wanted(name):
            continue
        t = time.time()
        head, _ = train_candidate(d, args.bits, top_k, edits, loss, cfg)
        record(name, evaluate(lambda f, h=head: head_outputs(h, f), d), time.time() - t)
    # The two-part 96-bit designs: a 32-bit NMLayer semantic head beside 64 edit-invariant bits.
    nd = edit_invariant_itq_head(both, d["train"], d["train_edits"], 64, 3.0)
    for base in ("similarity+edits+pair", "teacher-top3+similarity+edits+pair"):
        name = f"{base}-32+eitq64"
        if not wanted(name):
            continue
        top_k, edits, loss = CANDIDATES[base]
        t = time.time()
        sem, _ = train_candidate(d, 32, top_k, edits, loss, replace(cfg, stages=(64, 32)))
        record(name, evaluate(lambda f, a=sem: np.concatenate(
            [head_outputs(a, f), head_outputs(nd, f)], 1), d), time.time() - t)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
