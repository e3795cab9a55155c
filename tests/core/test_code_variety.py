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
    load_encoder(folder)  # its own self-test passes: that is how it got in
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
    # ... but with every output squashed to >= 0 (a final ReLU) they are its doing.
    assert useless_codes_cause(np.maximum(trained, 0)).startswith(
        "bit 5 (and 1 more) of the 48-bit code (counting from 0) never changes")
    assert useless_codes_cause(np.maximum(rng.standard_normal((12, 48)), 0)) is None
    assert "never negative" in useless_codes_cause(1 / (1 + np.exp(-trained)))
    assert "not numbers" in useless_codes_cause(np.where(trained > 2, np.nan, trained))
