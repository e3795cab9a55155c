"""The exported graph is simplified (no Pad or shape arithmetic left) and computes the same."""

from __future__ import annotations

import collections

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from trainer.backbones import SameConv2d, static_same_padding
from trainer.export import export_onnx
from trainer.onnx_simplify import fold_pads_into_convs


class SameNet(nn.Module):
    """SAME convolutions at stride 1 and 2, odd and even kernels, with BatchNorm and ReLU6."""

    def __init__(self) -> None:
        super().__init__()
        self.a = SameConv2d(3, 8, 3, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.b = SameConv2d(8, 8, 5, stride=1, groups=8, bias=False)
        self.c = SameConv2d(8, 6, 4, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.relu6(self.bn(self.a(x)))
        return self.c(nn.functional.relu6(self.b(x))).mean(dim=(2, 3))


def _ops(path) -> collections.Counter:
    return collections.Counter(n.op_type for n in onnx.load(path).graph.node)


def _run(path, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


@pytest.mark.parametrize("size", [(32, 32), (31, 24)])
def test_export_folds_same_padding_into_the_convolutions(tmp_path, size):
    torch.manual_seed(0)
    net = SameNet().eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so its folding is exercised
        net.bn.running_mean.uniform_(-1, 1)
        net.bn.running_var.uniform_(0.5, 2)
    path = export_onnx(net, tmp_path / "net.onnx", size, output_name="out")
    ops = _ops(path)
    assert set(ops) == {"Conv", "Clip", "ReduceMean"}, ops  # no Pad, Shape, Gather, BatchNorm
    x = np.random.default_rng(1).standard_normal((3, 3, *size)).astype(np.float32)
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(_run(path, x), want, atol=1e-5)
    # The padding is fixed only while exporting: the module still pads any size it is given.
    assert all(m.fixed_pad is None for m in net.modules() if isinstance(m, SameConv2d))


def test_static_padding_matches_the_dynamic_padding():
    net = SameNet().eval()
    x = torch.randn(2, 3, 30, 22)
    with torch.no_grad():
        dynamic = net(x)
        with static_same_padding(net, (30, 22)):
            fixed = [m.fixed_pad for m in net.modules() if isinstance(m, SameConv2d)]
            static = net(x)
    assert fixed[0] == [0, 1, 0, 1]  # 22 and 30 wide, kernel 3, stride 2: one pixel after
    torch.testing.assert_close(static, dynamic)


def _pad_conv_model(mode: str = "constant", fill: float | None = None,
                    pads=(0, 0, 1, 0, 0, 0, 2, 1)):
    """pixels -> Pad -> Conv(3x3), built by hand."""
    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
    p = numpy_helper.from_array(np.array(pads, np.int64), "pads")
    inits = [w, p]
    pad_inputs = ["x", "pads"]
    if fill is not None:
        inits.append(numpy_helper.from_array(np.array(fill, np.float32), "fill"))
        pad_inputs.append("fill")
    nodes = [helper.make_node("Pad", pad_inputs, ["padded"], mode=mode),
             helper.make_node("Conv", ["padded", "w"], ["y"], kernel_shape=[3, 3])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 6, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, "h", "w"])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_fold_pads_gives_the_same_output(tmp_path):
    model = _pad_conv_model(fill=0.0)
    x = np.random.default_rng(0).standard_normal((1, 1, 6, 5)).astype(np.float32)
    onnx.save(model, tmp_path / "before.onnx")
    assert fold_pads_into_convs(model) == 1
    onnx.checker.check_model(model)
    onnx.save(model, tmp_path / "after.onnx")
    assert "Pad" not in _ops(tmp_path / "after.onnx")
    conv = model.graph.node[0]
    assert list(next(a for a in conv.attribute if a.name == "pads").ints) == [1, 0, 2, 1]
    np.testing.assert_allclose(_run(tmp_path / "after.onnx", x),
                               _run(tmp_path / "before.onnx", x), atol=1e-6)


@pytest.mark.parametrize("kwargs", [{"mode": "reflect"}, {"fill": 1.0},
                                    {"pads": (0, 1, 1, 0, 0, 0, 1, 0)}])
def test_pads_that_are_not_plain_zero_padding_stay(kwargs):
    model = _pad_conv_model(**kwargs)
    assert fold_pads_into_convs(model) == 0
    assert [n.op_type for n in model.graph.node] == ["Pad", "Conv"]
