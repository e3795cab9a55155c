"""A model whose codes do not vary (it ends in a sigmoid, or ignores the photo) passed its card's
self-test and was imported; then every photo got the same code and search was useless. The
import refuses it, naming the file, the cause and what to do; real models still pass."""

from __future__ import annotations

import numpy as np
import pytest
from cli_run import run
from tiny_model import make_tiny_model

from desktop_app import cli, paths
from desktop_app.core.code_variety import check_codes_vary, probe_images, useless_codes_cause
from desktop_app.core.encoder import load_encoder
from desktop_app.core.errors import ModelError
from desktop_app.core.model_registry import import_model

REMEDY = "Export the model's outputs before the sign (the raw linear layer, or a tanh)"


def test_the_probe_pictures_are_distinct_and_the_same_every_time():
    pictures = [np.asarray(p) for p in probe_images()]
    assert len({p.tobytes() for p in pictures}) == len(pictures) >= 10
    assert all(np.array_equal(a, np.asarray(b)) for a, b in zip(pictures, probe_images()))


def test_the_bundled_default_model_and_tiny_models_pass():
    check_codes_vary(load_encoder(paths.default_model_dir(), providers=["CPUExecutionProvider"]))


@pytest.mark.parametrize("bits,size,seed", [(8, 16, 0), (12, 32, 1), (48, 32, 2), (256, 64, 3)])
def test_tiny_models_of_every_shape_pass(tmp_path, bits, size, seed):
    check_codes_vary(load_encoder(make_tiny_model(tmp_path, bits=bits, size=size, seed=seed)))


SAME_CODE = "every probe picture got the same code: the model's outputs "


@pytest.mark.parametrize("graph,cause", [
    ({"final": "Sigmoid", "scale": 0.01}, SAME_CODE + "are never negative (it ends in a sigmoid"),
    # Larger values: onnxruntime's sigmoid gives exactly 0 below about -20, so a few codes
    # differ, in bits that say little.
    ({"final": "Sigmoid"}, "bit 0 (and "),
    ({"scale": 0.0}, SAME_CODE + "do not change with the picture"),
])
def test_import_refuses_a_model_whose_codes_never_vary(tmp_path, graph, cause):
    folder = make_tiny_model(tmp_path / "exported", name="always-the-same", **graph)
    load_encoder(folder, check_variety=False)  # its card's own self-test passes
    with pytest.raises(ModelError) as refused:
        import_model(folder)
    message = str(refused.value)
    assert message.startswith(f"{folder / 'model.onnx'}: {cause}"), message
    assert REMEDY in message
    assert not paths.models_dir().exists() or not any(paths.models_dir().iterdir())


def test_models_import_on_the_command_line_says_why(capsys, tmp_path):
    folder = make_tiny_model(tmp_path / "sigmoid", final="Sigmoid")
    code, out, err = run(capsys, "models", "import", folder)
    assert code == cli.EXIT_MODEL, (out, err)
    assert str(folder / "model.onnx") in err and "sigmoid" in err and "tanh" in err, err


def test_the_rule_on_outputs():
    rng = np.random.default_rng(0)
    trained = rng.standard_normal((12, 48))
    # Bits that stay put over the probe pictures: no fault on their own (the default model
    # has some) ...
    trained[:, [5, 7]] = np.abs(trained[:, [5, 7]]) + 0.1
    assert useless_codes_cause(trained) is None
    # ... nor after a final ReLU: relu(x) > 0 exactly when x > 0, the same codes ...
    assert useless_codes_cause(np.maximum(trained, 0)) is None
    assert useless_codes_cause(np.maximum(rng.standard_normal((12, 48)), 0)) is None
    # ... but with every output squashed into [0, 1] (a sigmoid whose large negative inputs
    # give exactly 0) they are its doing.
    squashed = 1 / (1 + np.exp(-30 * trained))
    squashed[30 * trained < -20] = 0
    cause = useless_codes_cause(squashed)
    assert cause.startswith("bit 5 (and ") and "lie between 0 and 1" in cause, cause
    assert "never negative" in useless_codes_cause(1 / (1 + np.exp(-trained)))
    assert "not numbers" in useless_codes_cause(np.where(trained > 2, np.nan, trained))


def test_a_model_ending_in_a_relu_is_imported_since_its_codes_are_the_same(tmp_path):
    """relu(x) > 0 exactly when x > 0: a final ReLU changes no bit. The bundled default model
    with a ReLU after its output was refused (outputs never negative, and the 14 bits that
    stay put over the probe pictures, as they do for the default model itself)."""
    import json
    import shutil

    import onnx
    from onnx import helper

    from desktop_app.core.model_card import file_sha256

    default = paths.default_model_dir()
    folder = tmp_path / "default-relu"
    folder.mkdir()
    model = onnx.load(str(default / "model.onnx"))
    output = model.graph.output[0]
    for node in model.graph.node:
        node.output[:] = ["pre_relu" if name == output.name else name for name in node.output]
    model.graph.node.append(helper.make_node("Relu", ["pre_relu"], [output.name]))
    onnx.save(model, str(folder / "model.onnx"))
    card = json.loads((default / "model.json").read_text())
    card.update(name="default-relu", onnx_sha256=file_sha256(folder / "model.onnx"))
    (folder / "model.json").write_text(json.dumps(card))
    relu, plain = load_encoder(folder), load_encoder(default)
    pixels = np.stack([np.zeros((3, 224, 224), np.float32), np.ones((3, 224, 224), np.float32)])
    assert (relu.raw_outputs(pixels) >= 0).all()
    assert np.array_equal(relu.encode_pixels(pixels), plain.encode_pixels(pixels))
    assert import_model(folder).is_dir()
    shutil.rmtree(folder)
