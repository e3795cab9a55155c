"""The hash head on backbone features, its NMLayer chain, and the folded form that is exported.

HashNet (training form):  f -> (f - centre) -> [Linear(D,H) + ReLU] -> Linear(K) -> NMLayer_1..t
                          (+ an optional label classifier on the relaxed code, training only)
FoldedHead (export form): f -> [Linear(D,H) + ReLU] -> Linear(L) with the centre and the whole
chain's P folded into the weights (W' = P W, c' = P (c - W centre) for a linear head).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from .nmlayer import NMLayer, chain_matrix, fold_linear


class HashNet(nn.Module):
    """Trainable head: centred features -> optional hidden layer -> K real outputs -> merges."""

    def __init__(self, in_dim: int, bits: int, hidden: int = 0,
                 centre: np.ndarray | torch.Tensor | None = None, merge: str = "sum",
                 classes: int = 0) -> None:
        super().__init__()
        if merge not in ("sum", "mean"):
            raise ValueError(f"merge must be 'sum' or 'mean', not {merge!r}")
        self.merge = merge
        self.in_dim, self.long_bits, self.hidden, self.classes = in_dim, bits, hidden, classes
        self.register_buffer("centre", torch.zeros(in_dim) if centre is None
                             else torch.as_tensor(np.asarray(centre), dtype=torch.float32))
        self.hidden_layer = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU()) if hidden else None
        self.hash_layer = nn.Linear(hidden or in_dim, bits)
        self.nm_layers = nn.ModuleList()
        # Weights over the long code's K bits, so merges never change its shape (see class_logits)
        self.classifier = nn.Linear(bits, classes) if classes else None

    @property
    def bits(self) -> int:
        return self.nm_layers[-1].out_features if len(self.nm_layers) else self.long_bits

    def pre_merge(self, features: torch.Tensor) -> torch.Tensor:
        x = features - self.centre
        if self.hidden_layer is not None:
            x = self.hidden_layer(x)
        return self.hash_layer(x)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        z = self.pre_merge(features)
        for layer in self.nm_layers:
            z = layer(z)
        return z

    def class_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Label logits from the relaxed code tanh(z), for the classification term of the loss.

        A merged output carries the sum of its members' signed classifier columns: when the
        joined bits agree (as merged bits mostly do), a merge leaves the logits as they were.
        Not part of the export."""
        if self.classifier is None:
            raise RuntimeError("this head was built without a classifier (classes=0)")
        S = self.merge_matrix().sign().to(z.device)  # signed membership, whatever the merge mode
        weight = self.classifier.weight @ S.T  # [classes, current bits]
        return torch.tanh(z) @ weight.T + self.classifier.bias

    def add_stage(self) -> NMLayer:
        """Start a new NMLayer stage on top of the current outputs (identity until merges)."""
        layer = NMLayer(self.bits, mean=self.merge == "mean").to(self.centre.device)
        self.nm_layers.append(layer)
        return layer

    def merge_matrix(self) -> torch.Tensor:
        return chain_matrix(list(self.nm_layers), self.long_bits)

    def folded(self) -> FoldedHead:
        """The constant-P export form, giving the same outputs up to float rounding."""
        P = self.merge_matrix()
        W, c = self.hash_layer.weight.detach().cpu(), self.hash_layer.bias.detach().cpu()
        if self.hidden_layer is None:
            c = c - W.double().matmul(self.centre.cpu().double()).float()
            Wf, cf = fold_linear(W, c, P)
            return FoldedHead(self.in_dim, Wf, cf)
        first = self.hidden_layer[0]
        W1 = first.weight.detach().cpu()
        b1 = first.bias.detach().cpu() - W1.double().matmul(self.centre.cpu().double()).float()
        Wf, cf = fold_linear(W, c, P)
        return FoldedHead(self.in_dim, Wf, cf, hidden=(W1, b1))

    # -- checkpoints: tensors only, so they load with weights_only=True ------------------------
    def state(self) -> dict[str, Any]:
        return {"in_dim": self.in_dim, "long_bits": self.long_bits, "hidden": self.hidden,
                "merge": self.merge, "classes": self.classes,
                "weights": {k: v.detach().cpu() for k, v in self.state_dict().items()
                            if not k.startswith("nm_layers.")},
                "merges": [layer.P.detach().cpu() for layer in self.nm_layers]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> HashNet:
        merge = str(state.get("merge", "sum"))
        net = cls(int(state["in_dim"]), int(state["long_bits"]), int(state["hidden"]),
                  merge=merge, classes=int(state.get("classes", 0)))
        net.load_state_dict(state["weights"], strict=False)
        for P in state["merges"]:
            net.nm_layers.append(NMLayer.from_matrix(P, mean=merge == "mean"))
        return net


class FoldedHead(nn.Module):
    """Features -> L real outputs with no NMLayer: what goes into the ONNX graph."""

    def __init__(self, in_dim: int, weight: torch.Tensor, bias: torch.Tensor,
                 hidden: tuple[torch.Tensor, torch.Tensor] | None = None) -> None:
        super().__init__()
        self.hidden_layer = None
        if hidden is not None:
            W1, b1 = hidden
            lin = nn.Linear(in_dim, W1.shape[0])
            lin.weight.data.copy_(W1)
            lin.bias.data.copy_(b1)
            self.hidden_layer = nn.Sequential(lin, nn.ReLU())
            in_dim = W1.shape[0]
        self.linear = nn.Linear(in_dim, weight.shape[0])
        self.linear.weight.data.copy_(weight)
        self.linear.bias.data.copy_(bias)

    @property
    def bits(self) -> int:
        return self.linear.out_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = features if self.hidden_layer is None else self.hidden_layer(features)
        return self.linear(x)

    def state(self) -> dict[str, Any]:
        out = {"weight": self.linear.weight.detach().cpu(), "bias": self.linear.bias.detach().cpu()}
        if self.hidden_layer is not None:
            out["hidden_weight"] = self.hidden_layer[0].weight.detach().cpu()
            out["hidden_bias"] = self.hidden_layer[0].bias.detach().cpu()
        return out

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FoldedHead:
        hidden = (state["hidden_weight"], state["hidden_bias"]) if "hidden_weight" in state \
            else None
        in_dim = hidden[0].shape[1] if hidden else state["weight"].shape[1]
        return cls(in_dim, state["weight"], state["bias"], hidden)
