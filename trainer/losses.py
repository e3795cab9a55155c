"""Hashing losses: pairwise likelihood on multi-hot labels, plus quantisation.

With relaxed codes u = tanh(z), Theta_ij = (alpha / 2) u_i . u_j and S_ij = 1 when images i and
j share at least one label, the pairwise negative log-likelihood is
mean(log(1 + exp(Theta_ij)) - S_ij * Theta_ij) (DPSH). Quantisation pulls u towards +-1.
An optional classification term (cross-entropy of a linear classifier on u against the labels,
as DSDH pairs with the pairwise loss) is the "stronger modern loss" the method notes allow.

Mixed batches (mixup / CutMix of photos in fine-tuning, or of cached features in head training:
photo i blended with photo perm[i], weight lam on its own, one lam for the batch or one per photo)
get the expected targets of the blend: the classification target mixes the two label
distributions, and S becomes the probability that the components of i and j share a label.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F


class Mix(NamedTuple):
    """How a batch was blended: row i = lam_i * photo i + (1 - lam_i) * photo perm[i]; lam is
    one number for the whole batch or a tensor [B], one per photo."""

    perm: torch.Tensor
    lam: float | torch.Tensor


def similarity(labels_a: torch.Tensor, labels_b: torch.Tensor | None = None) -> torch.Tensor:
    """S_ij = 1 if multi-hot label rows i and j share a label, else 0 (float)."""
    labels_b = labels_a if labels_b is None else labels_b
    return ((labels_a.float() @ labels_b.float().T) > 0).float()


def mixed_similarity(S: torch.Tensor, mix: Mix) -> torch.Tensor:
    """E[S] over the components of two blended photos i and j: lam_i lam_j S(i, j)
    + lam_i (1 - lam_j) S(i, perm j) + (1 - lam_i) lam_j S(perm i, j)
    + (1 - lam_i) (1 - lam_j) S(perm i, perm j); in [0, 1]."""
    p = mix.perm
    lam = torch.as_tensor(mix.lam, dtype=S.dtype, device=S.device)
    li, lj = (lam[:, None], lam[None, :]) if lam.ndim else (lam, lam)
    return (li * lj * S + li * (1 - lj) * S[:, p] + (1 - li) * lj * S[p, :]
            + (1 - li) * (1 - lj) * S[p][:, p])


def pairwise_likelihood(u: torch.Tensor, S: torch.Tensor, alpha: float = 1.0,
                        u_other: torch.Tensor | None = None) -> torch.Tensor:
    """mean over pairs of softplus(Theta) - S * Theta; numerically stable for large Theta."""
    other = u if u_other is None else u_other
    theta = 0.5 * alpha * (u @ other.T)
    return (F.softplus(theta) - S * theta).mean()


def quantization(u: torch.Tensor) -> torch.Tensor:
    """mean((u - sign(u))^2), with sign(0) = +1 as in the exported codes."""
    target = torch.where(u >= 0, torch.ones_like(u), -torch.ones_like(u))
    return ((u - target) ** 2).mean()


def classification(logits: torch.Tensor, labels: torch.Tensor, mix: Mix | None = None
                   ) -> torch.Tensor:
    """Cross-entropy against multi-hot labels spread evenly over a photo's labels (for a blend,
    the two photos' targets mixed by its weights)."""
    target = labels.float() / labels.float().sum(dim=1, keepdim=True).clamp_min(1.0)
    if mix is not None:
        lam = torch.as_tensor(mix.lam, dtype=target.dtype, device=target.device)
        lam = lam[:, None] if lam.ndim else lam
        target = lam * target + (1 - lam) * target[mix.perm]
    return -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def hashing_loss(z: torch.Tensor, labels: torch.Tensor, alpha: float = 1.0, eta: float = 0.1,
                 logits: torch.Tensor | None = None, cls_weight: float = 0.0,
                 mix: Mix | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """The training loss on one batch: pairwise likelihood + eta * quantisation
    (+ cls_weight * classification when label logits are given); `mix` when the batch's
    photos were blended."""
    u = torch.tanh(z)
    S = similarity(labels)
    if mix is not None:
        S = mixed_similarity(S, mix)
    pair = pairwise_likelihood(u, S, alpha)
    quant = quantization(u)
    loss = pair + eta * quant
    parts = {"pair": float(pair.detach()), "quant": float(quant.detach())}
    if logits is not None and cls_weight:
        cls = classification(logits, labels, mix)
        loss = loss + cls_weight * cls
        parts["cls"] = float(cls.detach())
    return loss, parts
