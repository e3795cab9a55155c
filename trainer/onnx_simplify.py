"""Make an exported graph cheap to run: constants folded, BatchNorm in the convolutions, and the
zero padding of TensorFlow's SAME convolutions moved into the convolutions' own `pads`.

Why: EfficientNet-Lite0's ImageNet weights expect SAME padding, which torch exports as a separate
Pad before each of 17 convolutions. onnxruntime 1.32 leaves those Pads in its optimised graph, runs
each one in the plain NCHW layout and reorders the tensor to its blocked layout and back around
it. Its profile of one photo: Pad 18 %, layout reorders 12 %, per-photo shape arithmetic ~10 %,
convolutions 59 %; after this rewrite, convolutions 99.5 %. ONNX's Conv takes asymmetric pads, so
nothing is lost by folding them in; the outputs are the same up to float rounding.

Step 1 is onnxruntime's basic ("level 1") optimisation saved to a file, which its documentation
describes as hardware-independent and safe to save offline: only standard ONNX operators.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def simplify_onnx(path: str | os.PathLike) -> dict[str, int]:
    """Rewrite the ONNX file at `path` in place; return what changed (nodes before/after, pads
    folded). The export checks that follow compare it with torch, so a wrong rewrite cannot
    reach the app."""
    import onnx
    import onnxruntime as ort

    path = Path(path)
    before = len(onnx.load(path, load_external_data=False).graph.node)
    with tempfile.TemporaryDirectory(prefix="lookalike-onnx-") as tmp:
        folded = Path(tmp) / "basic.onnx"
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        opts.optimized_model_filepath = str(folded)
        opts.log_severity_level = 3
        ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        model = onnx.load(folded)
    pads = fold_pads_into_convs(model)
    onnx.checker.check_model(model)
    tmp_path = path.with_name(path.name + ".tmp")
    onnx.save(model, tmp_path)
    tmp_path.replace(path)
    return {"nodes_before": before, "nodes_after": len(model.graph.node), "pads_folded": pads}


def fold_pads_into_convs(model) -> int:
    """Remove every zero-valued constant Pad whose only reader is a Conv, adding its spatial
    padding to that Conv's `pads`. Returns how many were folded."""
    from onnx import helper, numpy_helper

    graph = model.graph
    constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    readers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    graph_outputs = {o.name for o in graph.output}
    folded = []
    for node in graph.node:
        if node.op_type != "Pad" or node.output[0] in graph_outputs:
            continue
        conv = _sole_conv_reader(readers.get(node.output[0], []))
        spatial = _zero_spatial_pads(node, constants)
        if conv is None or spatial is None:
            continue
        attrs = {a.name: a for a in conv.attribute}
        if "auto_pad" in attrs and attrs["auto_pad"].s not in (b"NOTSET", b""):
            continue  # SAME_UPPER etc.: the Conv pads itself, explicit pads are not allowed
        old = list(attrs["pads"].ints) if "pads" in attrs else [0] * len(spatial)
        if len(old) != len(spatial):
            continue
        if "pads" in attrs:
            conv.attribute.remove(attrs["pads"])
        conv.attribute.append(helper.make_attribute(
            "pads", [int(a + b) for a, b in zip(old, spatial, strict=True)]))
        conv.input[0] = node.input[0]
        folded.append(node)
    for node in folded:
        graph.node.remove(node)
    used = {name for node in graph.node for name in node.input}
    for tensor in [t for t in graph.initializer if t.name not in used]:
        graph.initializer.remove(tensor)  # the folded Pads' own pad vectors
    return len(folded)


def _sole_conv_reader(readers: list):
    if len(readers) == 1 and readers[0].op_type == "Conv" and readers[0].input[0]:
        return readers[0]
    return None


def _zero_spatial_pads(pad, constants) -> list[int] | None:
    """ONNX Pad [b1..bn, e1..en] of an N,C,spatial... tensor -> Conv pads [spatial begins,
    spatial ends], or None when this Pad cannot be folded (not constant mode, a nonzero fill,
    padding on N or C, negative pads, pads not a constant)."""
    from onnx import helper

    mode = next((helper.get_attribute_value(a) for a in pad.attribute if a.name == "mode"),
                b"constant")
    if mode != b"constant" or len(pad.input) < 2:
        return None
    if len(pad.input) > 3 and pad.input[3]:
        return None  # an axes input: not the form torch writes
    if pad.input[1] not in constants:
        return None
    if len(pad.input) > 2 and pad.input[2]:
        value = constants.get(pad.input[2])
        if value is None or value.size != 1 or float(value.reshape(-1)[0]) != 0.0:
            return None
    pads = [int(v) for v in constants[pad.input[1]].reshape(-1)]
    rank = len(pads) // 2
    if rank < 3 or min(pads) < 0:
        return None
    begins, ends = pads[:rank], pads[rank:]
    if begins[0] or begins[1] or ends[0] or ends[1]:
        return None
    return begins[2:] + ends[2:]
