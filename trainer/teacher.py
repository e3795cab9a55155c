"""General-photo supervision for the default model, from the backbone's own ImageNet classifier.

Most people never retrain, so the shipped model cannot learn from their albums. Instead the
EfficientNet-Lite0 ImageNet-1k classifier acts as a teacher on a broad set of unlabelled photos:
its top classes become multi-hot labels for the project's ordinary head training
(`trainer.training.train_head`). Edited copies of a photo inherit the original's labels, so the
head also learns that an edit is the same photo (augmentation invariance).

The classifier is linear on the pooled features (`classify = _fc(forward)`), so the teacher runs on
cached features: no second pass through the backbone.

Also here: ITQ (Gong & Lazebnik 2011), the unsupervised baseline the supervision is measured
against, returned as a FoldedHead so it exports through the same path.
"""

from __future__ import annotations

import numpy as np
import torch

from .model import FoldedHead


def imagenet_classifier() -> tuple[np.ndarray, np.ndarray]:
    """(weight [1000, 1280], bias [1000]) of the shipped EfficientNet-Lite0 classifier."""
    from .backbones import efficientnet_lite0_weights_path

    state = torch.load(efficientnet_lite0_weights_path(), map_location="cpu", weights_only=True)
    return state["_fc.weight"].numpy(), state["_fc.bias"].numpy()


def imagenet_probabilities(features: np.ndarray) -> np.ndarray:
    """Softmax over the 1000 ImageNet classes for backbone features [N, 1280]."""
    weight, bias = imagenet_classifier()
    logits = np.asarray(features, np.float32) @ weight.T + bias
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def teacher_labels(features: np.ndarray, top_k: int = 3, min_prob: float = 0.0) -> np.ndarray:
    """Multi-hot [N, 1000]: each photo's top_k ImageNet classes (those above min_prob; the top-1
    class always counts, so every photo has a label)."""
    p = imagenet_probabilities(features)
    order = np.argsort(-p, axis=1)[:, :top_k]
    labels = np.zeros(p.shape, np.float32)
    rows = np.arange(len(p))[:, None]
    keep = np.take_along_axis(p, order, axis=1) >= min_prob
    keep[:, 0] = True
    labels[np.broadcast_to(rows, order.shape)[keep], order[keep]] = 1.0
    return labels


def with_edits(labels: np.ndarray, originals_of_edits: np.ndarray) -> np.ndarray:
    """Labels for [originals; edits]: each edit copies its original's labels."""
    return np.concatenate([labels, labels[np.asarray(originals_of_edits)]])


def used_columns(labels: np.ndarray) -> np.ndarray:
    """Drop label columns no photo has (1000 ImageNet classes -> the few hundred seen)."""
    return labels[:, labels.any(axis=0)]


def itq_head(features: np.ndarray, bits: int, iterations: int = 50, seed: int = 0
             ) -> FoldedHead:
    """Iterative quantisation: centre, PCA to `bits`, then the rotation that best fits signs."""
    x = np.asarray(features, np.float64)
    centre = x.mean(axis=0)
    xc = x - centre
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    pca = vt[:bits].T  # [D, bits]
    r = itq_rotation(xc @ pca, iterations=iterations, seed=seed)
    w = (pca @ r).T  # [bits, D]
    b0 = -w @ centre
    return FoldedHead(x.shape[1], torch.as_tensor(w, dtype=torch.float32),
                      torch.as_tensor(b0, dtype=torch.float32))


def head_outputs(head: FoldedHead, features: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return head(torch.as_tensor(np.asarray(features, np.float32))).numpy()


# -- similarity-preserving and edit-invariant training, on the project's own head trainer --------
from dataclasses import dataclass

from .losses import pairwise_likelihood, quantization, similarity
from .training import HeadConfig, HeadResult, HeadTrainer


@dataclass(frozen=True)
class TeacherLoss:
    """Weights of the loss terms (any may be 0).

    teacher:    DPSH pairwise likelihood on the teacher's multi-hot labels (the trainer's loss);
    similarity: mean squared gap between the codes' normalised inner products u.u/K and the
                cosine similarity of the centred float features (keeps the float ranking);
    edit_pair:  1 - u.u'/K for a photo and its edited copy (they must get the same code).
    """

    teacher: float = 1.0
    similarity: float = 0.0
    edit_pair: float = 0.0


class TeacherHeadTrainer(HeadTrainer):
    """trainer.training.HeadTrainer (same plan: long code, NMLayer merges, frozen phases, model
    selection on the validation split, folding) with a batch that always holds photo/edit pairs
    and the TeacherLoss terms. Only the loss and the batch differ from the project's trainer;
    the trainer's own API takes a loss on labels only, so this subclass lives here."""

    def __init__(self, features: np.ndarray, labels: np.ndarray, fit_idx: np.ndarray,
                 val_idx: np.ndarray, cfg: HeadConfig, partner: np.ndarray,
                 loss: TeacherLoss, device: str = "cpu") -> None:
        super().__init__(features, labels, fit_idx, val_idx, cfg, device)
        self.partner = np.asarray(partner)  # index of each row's edited copy/original, or -1
        self.loss_weights = loss
        centred = self.features - self.features[self.fit_idx].mean(dim=0)
        self.unit = torch.nn.functional.normalize(centred, dim=1)
        self.paired = np.array([i for i in self.fit_idx if self.partner[i] >= 0])

    def train_step(self) -> float:
        w = self.loss_weights
        g = np.random.default_rng((self.cfg.seed, self.step))
        half = min(self.cfg.batch_size // 2, len(self.paired)) if len(self.paired) else 0
        first = g.choice(self.paired, size=half, replace=False) if half else np.zeros(0, int)
        rest = g.choice(self.fit_idx, size=min(self.cfg.batch_size - 2 * half,
                                                len(self.fit_idx)), replace=False)
        batch = np.concatenate([first, self.partner[first], rest]).astype(int)
        x = self.features[batch].to(self.device)
        u = torch.tanh(self.net(x))
        bits = u.shape[1]
        loss = self.cfg.eta * quantization(u)
        if w.teacher:
            y = self.labels[batch].to(self.device)
            loss = loss + w.teacher * pairwise_likelihood(u, similarity(y), self.cfg.alpha)
        inner = (u @ u.T) / bits
        if w.similarity:
            f = self.unit[batch].to(self.device)
            loss = loss + w.similarity * ((inner - f @ f.T) ** 2).mean()
        if w.edit_pair and half:
            idx = torch.arange(half)
            loss = loss + w.edit_pair * (1 - inner[idx, idx + half]).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.step += 1
        return float(loss.detach())


def train_teacher_head(features: np.ndarray, labels: np.ndarray, fit_idx: np.ndarray,
                       val_idx: np.ndarray, partner: np.ndarray, cfg: HeadConfig,
                       loss: TeacherLoss, device: str = "cpu", progress=None) -> HeadResult:
    return TeacherHeadTrainer(features, labels, fit_idx, val_idx, cfg, partner, loss,
                              device).run(progress)


def edit_invariant_projection(features: np.ndarray, originals: np.ndarray, edits: np.ndarray,
                              dims: int, reg: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(centre [D], projection [D, dims]): the directions along which photos differ most relative
    to how much an edit moves a photo (generalised eigenvectors of the feature covariance against
    the edit-difference covariance; `reg` * mean variance keeps the latter invertible)."""
    x = np.asarray(features, np.float64)
    centre = x.mean(axis=0)
    xc = x - centre
    between = xc.T @ xc / len(xc)
    diff = np.asarray(originals, np.float64) - np.asarray(edits, np.float64)
    within = diff.T @ diff / len(diff)
    within += reg * np.trace(within) / len(within) * np.eye(len(within))
    # Whiten by `within`, then PCA.
    evals, evecs = np.linalg.eigh(within)
    whiten = evecs / np.sqrt(evals)
    vals, vecs = np.linalg.eigh(whiten.T @ between @ whiten)
    top = vecs[:, np.argsort(-vals)[:dims]]
    return centre, whiten @ top


def itq_rotation(v: np.ndarray, iterations: int = 50, seed: int = 0) -> np.ndarray:
    bits = v.shape[1]
    rng = np.random.default_rng(seed)
    r, _ = np.linalg.qr(rng.standard_normal((bits, bits)))
    for _ in range(iterations):
        b = np.where(v @ r >= 0, 1.0, -1.0)
        u, _, wt = np.linalg.svd(b.T @ v)
        r = (u @ wt).T
    return r


def edit_invariant_itq_head(features: np.ndarray, originals: np.ndarray, edits: np.ndarray,
                            bits: int, reg: float = 0.1, seed: int = 0) -> FoldedHead:
    centre, proj = edit_invariant_projection(features, originals, edits, bits, reg)
    v = (np.asarray(features, np.float64) - centre) @ proj
    v /= v.std(axis=0, keepdims=True)
    scale = 1.0 / (((np.asarray(features, np.float64) - centre) @ proj).std(axis=0))
    proj = proj * scale
    r = itq_rotation(v, seed=seed)
    w = (proj @ r).T
    return FoldedHead(len(centre), torch.as_tensor(w, dtype=torch.float32),
                      torch.as_tensor(-w @ centre, dtype=torch.float32))


def concatenate_heads(*heads: FoldedHead) -> FoldedHead:
    """One linear head whose outputs are the given linear heads' outputs side by side (the
    Hamming distance of the joint code is the sum of the parts' distances)."""
    if any(h.hidden_layer is not None for h in heads):
        raise ValueError("only linear heads can be concatenated into one Linear layer")
    weight = torch.cat([h.linear.weight.detach() for h in heads])
    bias = torch.cat([h.linear.bias.detach() for h in heads])
    return FoldedHead(weight.shape[1], weight, bias)
