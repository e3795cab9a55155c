"""NMLayer against a naive reference: explicit groups of (neuron, sign), summed one by one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainer.model import HashNet
from trainer.nmlayer import (
    NMLayer,
    apply_merges,
    binary_correlation,
    chain_matrix,
    fold_linear,
    plan_merges,
)


class NaiveMergeGraph:
    """Reference: a list of groups, each a list of (input neuron, sign); outputs are sums."""

    def __init__(self, k: int) -> None:
        self.groups = [[(i, 1)] for i in range(k)]

    def merge(self, keep: int, absorb: int, sign: int) -> None:
        self.groups[keep] = self.groups[keep] + [(i, s * sign) for i, s in self.groups[absorb]]
        del self.groups[absorb]

    def forward(self, h: np.ndarray) -> np.ndarray:
        out = np.zeros((h.shape[0], len(self.groups)))
        for m, group in enumerate(self.groups):
            for i, s in group:
                out[:, m] += s * h[:, i]
        return out


def test_merges_match_naive_reference_including_signed_merges():
    rng = np.random.default_rng(0)
    layer, ref = NMLayer(10), NaiveMergeGraph(10)
    for keep, absorb, sign in [(0, 3, 1), (2, 5, -1), (0, 1, -1), (4, 0, 1), (1, 2, -1)]:
        layer.merge(keep, absorb, sign)
        ref.merge(keep, absorb, sign)
    h = rng.standard_normal((7, 10))
    assert layer.out_features == 5
    np.testing.assert_allclose(layer(torch.tensor(h, dtype=torch.float64)).numpy(),
                               ref.forward(h), atol=1e-12)
    assert sorted(map(sorted, layer.groups())) == sorted(map(sorted, ref.groups))
    # every input neuron in exactly one group, entries only 0/+-1
    assert (np.abs(layer.P.numpy()).sum(axis=0) == 1).all()


def test_signed_merge_of_anticorrelated_neurons_does_not_cancel():
    layer = NMLayer(2)
    layer.merge(0, 1, -1)
    h = torch.tensor([[2.0, -2.0]])  # anti-correlated pair
    assert float(layer(h)[0, 0]) == 4.0


def test_invalid_merges_are_refused():
    layer = NMLayer(3)
    with pytest.raises(ValueError):
        layer.merge(1, 1, 1)
    with pytest.raises(ValueError):
        layer.merge(0, 1, 0)
    with pytest.raises(ValueError):
        NMLayer.from_matrix(np.array([[1.0, 1.0], [0.0, 1.0]]))  # input 1 in two groups


def test_chain_matrix_is_product_of_stages():
    a, b = NMLayer(6), NMLayer(4)
    a.merge(0, 1, 1)
    a.merge(2, 4, -1)  # 6 -> 4
    b.merge(3, 0, -1)  # 4 -> 3
    h = torch.randn(5, 6, dtype=torch.float64)
    P = chain_matrix([a, b], 6).double()
    torch.testing.assert_close(b(a(h)), h @ P.T)


def test_folding_gives_identical_codes_bit_for_bit():
    torch.manual_seed(0)
    net = HashNet(in_dim=40, bits=32, centre=np.random.default_rng(1).standard_normal(40))
    for layer_merges in ([(0, 1, 1), (2, 3, -1), (4, 9, 1)] * 3, [(0, 5, -1), (1, 2, 1)]):
        layer = net.add_stage()
        for keep, absorb, sign in layer_merges:
            layer.merge(keep, absorb, sign)
    x = torch.randn(2000, 40) * 3 + 1
    with torch.no_grad():
        unfolded = net(x)
        folded_head = net.folded()
        folded = folded_head(x)
    assert folded_head.bits == net.bits == 32 - 9 - 2
    assert torch.equal(unfolded > 0, folded > 0)
    torch.testing.assert_close(unfolded, folded, atol=1e-4, rtol=1e-4)
    # W' = P W and c' = P c exactly as the method says
    P = net.merge_matrix()
    W, c = net.hash_layer.weight.detach(), net.hash_layer.bias.detach()
    Wf, cf = fold_linear(W, c, P)
    torch.testing.assert_close(Wf, (P.double() @ W.double()).float())
    torch.testing.assert_close(cf, (P.double() @ c.double()).float())


def test_folding_with_hidden_layer_keeps_codes():
    torch.manual_seed(1)
    net = HashNet(in_dim=16, bits=12, hidden=20, centre=torch.randn(16))
    net.add_stage().merge(0, 7, -1)
    x = torch.randn(500, 16)
    with torch.no_grad():
        assert torch.equal(net(x) > 0, net.folded()(x) > 0)


def test_binary_correlation_matches_numpy_and_ignores_constant_bits():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((200, 5))
    z[:, 3] = -z[:, 0] + 0.01 * rng.standard_normal(200)
    z[:, 4] = 1.0  # constant output
    corr = binary_correlation(z)
    b = np.where(z[:, :4] > 0, 1.0, -1.0)
    ref = np.corrcoef(b.T)
    np.fill_diagonal(ref, 0)
    np.testing.assert_allclose(corr[:4, :4], ref, atol=1e-12)
    assert corr[0, 3] < -0.9
    assert (corr[4] == 0).all() and (corr[:, 4] == 0).all()


def test_plan_merges_takes_least_important_into_most_redundant_with_sign():
    importance = np.array([0.5, 0.4, 0.01, 0.3])
    corr = np.array([[0, .1, -.9, .2], [.1, 0, .3, .1], [-.9, .3, 0, .5], [.2, .1, .5, 0]])
    assert plan_merges(importance, corr, 1) == [(0, 2, -1)]
    # two merges in one round use disjoint pairs: 2 -> 0, then 3 (next least) -> 1
    assert plan_merges(importance, corr, 2) == [(0, 2, -1), (1, 3, 1)]
    layer = NMLayer(4)
    apply_merges(layer, plan_merges(importance, corr, 2))
    assert layer.out_features == 2
    np.testing.assert_array_equal(layer.P.numpy(), [[1, 0, -1, 0], [0, 1, 0, 1]])


def test_mean_merging_folds_to_the_same_codes():
    torch.manual_seed(2)
    net = HashNet(in_dim=20, bits=16, centre=torch.randn(20), merge="mean")
    layer = net.add_stage()
    for keep, absorb, sign in [(0, 1, -1), (0, 2, 1), (3, 9, 1)]:
        layer.merge(keep, absorb, sign)
    x = torch.randn(1000, 20)
    with torch.no_grad():
        z = net(x)
        assert torch.equal(z > 0, net.folded()(x) > 0)
        # output 0 is the mean of its three members (after the first merge, index 2 is h_3)
        h = net.pre_merge(x)
        torch.testing.assert_close(z[:, 0], (h[:, 0] - h[:, 1] + h[:, 3]) / 3)
    rebuilt = HashNet.from_state(net.state())
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), z)


def test_classifier_columns_follow_the_merges():
    """A merged output's classifier column is the sum of its members' signed columns, so the
    classifier's shape never changes and merging bits that agree keeps the logits."""
    torch.manual_seed(0)
    net = HashNet(6, 4, classes=3)
    V, c = net.classifier.weight.detach().clone(), net.classifier.bias.detach().clone()
    h = torch.tensor([[20.0, -20.0, -20.0, 20.0]])  # saturated, and bits 0, -2, 3 agree
    before = net.class_logits(h)
    assert torch.allclose(before, torch.tanh(h) @ V.T + c)
    net.add_stage()
    apply_merges(net.nm_layers[-1], [(0, 2, -1)])  # outputs: {0, -2}, {1}, {3}
    net.add_stage()
    apply_merges(net.nm_layers[-1], [(0, 2, 1)])  # outputs: {0, -2, 3}, {1}
    z = torch.randn(5, 2)
    expected_w = torch.stack([V[:, 0] - V[:, 2] + V[:, 3], V[:, 1]], dim=1)
    assert torch.allclose(net.class_logits(z), torch.tanh(z) @ expected_w.T + c, atol=1e-6)
    merged = h
    for layer in net.nm_layers:
        merged = layer(merged)
    assert torch.allclose(net.class_logits(merged), before, atol=1e-5)
    # the classifier travels with checkpoints and stays out of the export
    again = HashNet.from_state(net.state())
    assert torch.allclose(again.class_logits(z), net.class_logits(z))
    assert net.folded().bits == 2
