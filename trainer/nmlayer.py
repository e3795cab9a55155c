"""The Neurons Merging Layer (Fu et al., IJCAI 2019), as read in ../shared/docs/nmlayer-method.md.

A signed merge graph over K input neurons. Its connected components are the M output groups;
output m is z_m = sum over i in group m of s_i * h_i, i.e. z = P h with P an M x K matrix of
0/+1/-1. Merging output b into output a (with sign s) joins their groups; M drops by one. Once
training is over P is constant and folds into the preceding linear layer: W' = P W, c' = P c.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class NMLayer(nn.Module):
    """z = h @ P.T. `merge(a, b, sign)` is the active phase's one step; `P` is the frozen graph."""

    def __init__(self, in_features: int, mean: bool = False) -> None:
        super().__init__()
        self.in_features = in_features
        # mean=True averages a group instead of summing it (a variant tried in the ablation:
        # a positive scale per output changes training, not the codes, and folds the same way)
        self.mean = mean
        self.register_buffer("P", torch.eye(in_features))

    @classmethod
    def from_matrix(cls, P: torch.Tensor | np.ndarray, mean: bool = False) -> NMLayer:
        P = torch.as_tensor(np.asarray(P), dtype=torch.float32)
        layer = cls(P.shape[1], mean)
        layer.P = P.clone()
        layer.validate()
        return layer

    @property
    def out_features(self) -> int:
        return int(self.P.shape[0])

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h @ self.weight_matrix().to(h.dtype).T

    def weight_matrix(self) -> torch.Tensor:
        """P, or P with each row divided by its group size for mean merging."""
        if not self.mean:
            return self.P
        return self.P / self.P.abs().sum(dim=1, keepdim=True)

    def groups(self) -> list[list[tuple[int, int]]]:
        """Per output: [(input index, sign)], the graph's connected components with their signs."""
        P = self.P.cpu().numpy()
        return [[(int(i), int(P[m, i])) for i in np.flatnonzero(P[m])] for m in range(len(P))]

    def merge(self, keep: int, absorb: int, sign: int) -> None:
        """Merge output `absorb` into output `keep`: z_keep += sign * z_absorb; drop `absorb`.

        sign = -1 merges anti-correlated outputs without cancelling them.
        """
        if keep == absorb:
            raise ValueError("cannot merge an output with itself")
        if sign not in (1, -1):
            raise ValueError("sign must be +1 or -1")
        P = self.P.clone()
        P[keep] = P[keep] + sign * P[absorb]
        rows = [m for m in range(P.shape[0]) if m != absorb]
        self.P = P[rows].contiguous()
        self.validate()

    def validate(self) -> None:
        P = self.P
        if not torch.all((P == 0) | (P == 1) | (P == -1)):
            raise ValueError("NMLayer matrix entries must be 0, +1 or -1")
        if not torch.all((P != 0).sum(dim=0) == 1):
            raise ValueError("every input neuron must belong to exactly one output group")

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"


def chain_matrix(layers: list[NMLayer], in_features: int) -> torch.Tensor:
    """P of a progressive chain: the product P_t ... P_2 P_1 (identity for no layers)."""
    P = torch.eye(in_features)
    for layer in layers:
        P = layer.weight_matrix().cpu() @ P
    return P


def fold_linear(weight: torch.Tensor, bias: torch.Tensor, P: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """W' = P W, c' = P c: the merged outputs as one plain linear layer (float64 accumulate)."""
    P64 = P.double()
    return (P64 @ weight.double()).float(), (P64 @ bias.double()).float()


def binary_correlation(codes: np.ndarray) -> np.ndarray:
    """Pearson correlation between outputs' binary (+1/-1) values over samples [N, M] -> [M, M].

    A constant output (all +1 or all -1) has correlation 0 with everything, and is then ranked
    as useless by importance rather than as redundant.
    """
    b = np.where(np.asarray(codes) > 0, 1.0, -1.0)
    b = b - b.mean(axis=0, keepdims=True)
    norm = np.sqrt((b * b).sum(axis=0))
    safe = np.where(norm > 0, norm, 1.0)
    corr = (b.T @ b) / np.outer(safe, safe)
    corr[:, norm == 0] = 0.0
    corr[norm == 0, :] = 0.0
    np.fill_diagonal(corr, 0.0)
    return corr


def plan_merges(importance: np.ndarray, corr: np.ndarray, count: int
                ) -> list[tuple[int, int, int]]:
    """Up to `count` merges (keep, absorb, sign), each: least important output absorbed into
    the output most redundant (highest |correlation|) with it. Outputs touched by one merge are
    not used again in the same round, so the round equals `count` sequential single merges on
    disjoint pairs. Indices are in the current numbering (before any of these merges).
    """
    used: set[int] = set()
    merges = []
    for absorb in np.argsort(importance, kind="stable"):
        if len(merges) >= count:
            break
        absorb = int(absorb)
        if absorb in used:
            continue
        candidates = [j for j in np.argsort(-np.abs(corr[absorb]), kind="stable")
                      if int(j) != absorb and int(j) not in used]
        if not candidates:
            continue
        keep = int(candidates[0])
        sign = -1 if corr[absorb, keep] < 0 else 1
        merges.append((keep, absorb, sign))
        used.update((keep, absorb))
    return merges


def apply_merges(layer: NMLayer, merges: list[tuple[int, int, int]]) -> None:
    """Apply planned merges whose indices refer to the numbering before the round."""
    alive = list(range(layer.out_features))
    for keep, absorb, sign in merges:
        layer.merge(alive.index(keep), alive.index(absorb), sign)
        alive.remove(absorb)
