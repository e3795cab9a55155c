"""Hashing losses: pairwise likelihood on multi-hot labels, plus quantisation.

With relaxed codes u = tanh(z), Theta_ij = (alpha / 2) u_i . u_j and S_ij = 1 when images i and
j share at least one label, the pairwise negative log-likelihood is
mean(log(1 + exp(Theta_ij)) - S_ij * Theta_ij) (DPSH). Quantisation pulls u towards +-1.
An optional classification term (cross-entropy of a linear classifier on u against the labels,
as DSDH pairs with the pairwise loss) is the "stronger modern loss" the method notes allow.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def similarity(labels_a: torch.Tensor, labels_b: torch.Tensor | None = None) -> torch.Tensor:
    """S_ij = 1 if multi-hot label rows i and j share a label, else 0 (float)."""
    labels_b = labels_a if labels_b is None else labels_b
    return ((labels_a.float() @ labels_b.float().T) > 0).float()


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


def classification(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against multi-hot labels spread evenly over a photo's labels."""
    target = labels.float() / labels.float().sum(dim=1, keepdim=True).clamp_min(1.0)
    return -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def hashing_loss(z: torch.Tensor, labels: torch.Tensor, alpha: float = 1.0, eta: float = 0.1,
                 logits: torch.Tensor | None = None, cls_weight: float = 0.0
                 ) -> tuple[torch.Tensor, dict[str, float]]:
    """The training loss on one batch: pairwise likelihood + eta * quantisation
    (+ cls_weight * classification when label logits are given)."""
    u = torch.tanh(z)
    S = similarity(labels)
    pair = pairwise_likelihood(u, S, alpha)
    quant = quantization(u)
    loss = pair + eta * quant
    parts = {"pair": float(pair.detach()), "quant": float(quant.detach())}
    if logits is not None and cls_weight:
        cls = classification(logits, labels)
        loss = loss + cls_weight * cls
        parts["cls"] = float(cls.detach())
    return loss, parts
