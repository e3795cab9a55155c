"""A small real ONNX encoder for tests: average-pool the photo to an 8x8 grid, then a fixed
random projection to N bits. Built with onnx.helper, run by the real onnxruntime; similar photos
get similar codes, which is all the app-level tests need. No download, no torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop_app.core.encoder import Encoder, ModelFolder, probe_inputs
from desktop_app.core.hashing import pack_bits
from desktop_app.core.model_card import (
    InputSpec,
    ModelCard,
    OutputSpec,
    ProbeSpec,
    file_sha256,
    write_card,
)


def build_tiny_onnx(path: Path, bits: int = 48, size: int = 32, seed: int = 0,
                    final: str | None = None, scale: float = 1.0,
                    batch: int | str = "batch") -> None:
    """`final`: an ONNX op put after the projection ("Sigmoid", "Relu": what a wrong export
    ends in); `scale` multiplies the weights (0: outputs that ignore the photo); `batch`: a
    number fixes the batch size (an export without a dynamic batch axis)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    grid = 8
    feats = 3 * grid * grid
    rng = np.random.default_rng(seed)
    weight = (rng.standard_normal((feats, bits)) * scale).astype(np.float32)
    pool = size // grid
    nodes = [
        helper.make_node("AveragePool", ["pixels"], ["pooled"], kernel_shape=[pool, pool],
                         strides=[pool, pool]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        # Centre each photo's features so the bits are balanced rather than all one sign.
        helper.make_node("ReduceMean", ["flat"], ["mean"], axes=[1], keepdims=1),
        helper.make_node("Sub", ["flat", "mean"], ["centred"]),
        helper.make_node("MatMul", ["centred", "W"], ["projected" if final else "codes"]),
    ]
    if final:
        nodes.append(helper.make_node(final, ["projected"], ["codes"]))
    graph = helper.make_graph(
        nodes, "tiny_hash",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [batch, 3, size, size])],
        [helper.make_tensor_value_info("codes", TensorProto.FLOAT, [batch, bits])],
        initializer=[numpy_helper.from_array(weight, "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def make_tiny_model(folder: Path, bits: int = 48, size: int = 32, seed: int = 0,
                    name: str | None = None, **graph) -> Path:
    """Write model.onnx + a valid model.json (hash and probe filled in) into `folder`;
    `graph`: build_tiny_onnx's final and scale."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path = folder / "model.onnx"
    build_tiny_onnx(onnx_path, bits=bits, size=size, seed=seed, **graph)
    card = ModelCard(
        name=name or f"tiny-{bits}",
        onnx_sha256=file_sha256(onnx_path),
        input=InputSpec(size=(size, size), resize_shorter=size, crop="none"),
        output=OutputSpec(bits=bits),
        probe=ProbeSpec(seed=0, count=4),
        description="tiny random-projection test model",
    )
    enc = Encoder(ModelFolder(folder, card), self_test=False)
    codes = pack_bits(enc.raw_outputs(probe_inputs(card)) > 0)
    card = ModelCard(**{**card.__dict__, "probe": ProbeSpec(
        seed=0, count=4, expected_codes_hex=tuple(c.tobytes().hex() for c in codes))})
    write_card(card, folder)
    return folder
