"""A model folder from someone else (a forum, a colleague) is input like any other: a card with
absurd values, a graph reading files outside its folder or giving outputs of another shape is
refused with one sentence naming the file, never a crash, a hang or gigabytes of memory."""

from __future__ import annotations

import json
import os
import re
import shutil
import tarfile
import zipfile

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from desktop_app.core.encoder import load_encoder, probe_inputs
from desktop_app.core.errors import ModelError
from desktop_app.core.hashing import pack_bits
from desktop_app.core.model_card import (
    InputSpec,
    ModelCard,
    OutputSpec,
    ProbeSpec,
    file_sha256,
    write_card,
)
from desktop_app.core.model_registry import import_model


@pytest.fixture
def model_copy(tmp_path, tiny_model_dir):
    return shutil.copytree(tiny_model_dir, tmp_path / "model-copy")


def edit_card_text(folder, edit):
    path = folder / "model.json"
    path.write_text(edit(path.read_text()))


def set_field(folder, section, key, value):
    card = json.loads((folder / "model.json").read_text())
    (card[section] if section else card)[key] = value
    (folder / "model.json").write_text(json.dumps(card))


# -- (a) the card ----------------------------------------------------------------------------
@pytest.mark.parametrize("section, key, value, allowed", [
    # 8192 x 8192 passed: 805 MB a photo, and the probe alone asked for 3.2 GB.
    ("input", "size", [4096, 4096], "2 whole numbers from 1 to 1024"),
    ("", "name", "x" * 10_000, "a name of 1 to 300 characters"),
    ("", "name", "..", "not '.' or '..'"),
    ("", "name", "   ", "not only spaces"),
])
def test_absurd_card_values_are_refused_naming_the_field(model_copy, section, key, value,
                                                         allowed):
    set_field(model_copy, section, key, value)
    with pytest.raises(ModelError) as err:
        load_encoder(model_copy)
    field = f"{section}.{key}" if section else key
    assert f"model.json: the model card's '{field}' is " in str(err.value)
    assert allowed in str(err.value)


@pytest.mark.parametrize("std, scale", [([1e-45, 1.0, 1.0], 1.0), ([128.0] * 3, 1e300)])
def test_preprocessing_that_overflows_float32_names_scale_mean_and_std(model_copy, std, scale):
    """It said "it gives shape (3, 32, 32), not (3, 32, 32)"."""
    set_field(model_copy, "input", "std", std)
    set_field(model_copy, "input", "scale", scale)
    with pytest.raises(ModelError, match=r"model.json: the model card's 'input.scale', "
                       r"'input.mean' and 'input.std' turn pixel values 0-255 into numbers "
                       r"beyond float32's range"):
        load_encoder(model_copy)


@pytest.mark.parametrize("edit", [
    lambda text: "[" * 100_000 + "]" * 100_000,  # RecursionError from the JSON reader
    lambda text: text.replace('"format_version": 1', '"format_version": 1' + "0" * 5000),
], ids=["nested", "long-number"])
def test_json_python_cannot_read_is_a_model_error(model_copy, edit):
    edit_card_text(model_copy, edit)
    with pytest.raises(ModelError, match="model.json: the model card nests lists or objects "
                       "too deeply, or holds a number too long to read"):
        load_encoder(model_copy)


def test_deeply_nested_training_notes_are_refused(model_copy):
    """Readable, but 900 levels deep it could not be written back (SQLite, the Model tab)."""
    set_field(model_copy, "", "training", {"x": "NOTE"})
    edit_card_text(model_copy, lambda t: t.replace('"NOTE"', '{"a": ' * 40 + "1" + "}" * 40))
    with pytest.raises(ModelError, match="'training' is .* must be an object nested at most 32 "
                       "levels deep"):
        load_encoder(model_copy)


def test_a_huge_card_is_refused_without_being_read_whole(model_copy):
    set_field(model_copy, "", "description", "z" * (17 << 20))
    with pytest.raises(ModelError, match="model.json: the model card is over 16 MB"):
        load_encoder(model_copy)


def test_extra_keys_are_ignored(model_copy):
    set_field(model_copy, "", "from_a_newer_exporter", {"note": [1, 2, 3]})
    assert "from_a_newer_exporter" not in load_encoder(model_copy).card.to_json()


# -- (b) the graph and the files it reads ----------------------------------------------------
def projection(out: str = "codes", bits: int = 48) -> tuple[list, list]:
    """tiny_model's graph, for a 32 px input, to build odd ones on."""
    weight = np.random.default_rng(0).standard_normal((3 * 8 * 8, bits)).astype(np.float32)
    nodes = [helper.make_node("AveragePool", ["pixels"], ["pooled"], kernel_shape=[4, 4],
                              strides=[4, 4]),
             helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
             helper.make_node("ReduceMean", ["flat"], ["mean"], axes=[1], keepdims=1),
             helper.make_node("Sub", ["flat", "mean"], ["centred"]),
             helper.make_node("MatMul", ["centred", "W"], [out])]
    return nodes, [numpy_helper.from_array(weight, "W")]


def model_folder(folder, nodes, inits, bits=48, out_type=TensorProto.FLOAT,
                 out_shape=("batch", 48), save=None):
    """A model folder whose card's probe codes are what the graph gives (so only the check
    under test can refuse it)."""
    graph = helper.make_graph(
        nodes, "odd", [helper.make_tensor_value_info("pixels", TensorProto.FLOAT,
                                                     ["batch", 3, 32, 32])],
        [helper.make_tensor_value_info("codes", out_type, out_shape and list(out_shape))],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    folder.mkdir(parents=True)
    (save or (lambda m, p: onnx.save(m, str(p))))(model, folder / "model.onnx")
    card = ModelCard(name=folder.name, onnx_sha256=file_sha256(folder / "model.onnx"),
                     input=InputSpec(size=(32, 32), resize_shorter=32, crop="none"),
                     output=OutputSpec(bits=bits), probe=ProbeSpec())
    try:
        session = ort.InferenceSession(str(folder / "model.onnx"))
        codes = pack_bits(session.run(None, {"pixels": probe_inputs(card)})[0] > 0)
        expected = tuple(c.tobytes().hex() for c in codes)
    except Exception:  # noqa: BLE001 - a graph onnxruntime refuses: any probe codes will do
        expected = ("00" * card.code_bytes,) * card.probe.count
    write_card(ModelCard(**{**card.__dict__, "probe": ProbeSpec(expected_codes_hex=expected)}),
               folder)
    return folder


def weights_in(location: str, copy_from=None):
    """Save the graph with its weight tensor's data in `location`, as the graph names it;
    copy_from: a file put there first (for a location inside the folder)."""
    def save(model, path):
        if copy_from is not None:
            shutil.copy(copy_from, path.parent / location)
        tensor = model.graph.initializer[0]
        tensor.ClearField("raw_data")
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in (("location", location), ("offset", "0"),
                           ("length", str(3 * 8 * 8 * 48 * 4))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        onnx.save(model, str(path))
    return save


@pytest.fixture
def secret(tmp_path):
    """A file outside the model folders, that would serve as the weights."""
    path = tmp_path / "secret.bin"
    rng = np.random.default_rng(1)
    path.write_bytes(rng.standard_normal(3 * 8 * 8 * 48).astype(np.float32).tobytes())
    return path


@pytest.mark.parametrize("where", ["../secret.bin", "sub/../../secret.bin", "absolute",
                                   "link inside"])
def test_weights_outside_the_model_folder_are_refused_naming_the_file(tmp_path, secret, where):
    """onnxruntime 1.32 refuses these itself; the app does not rely on every build doing so."""
    location = {"absolute": str(secret), "link inside": "weights.bin"}.get(where, where)
    folder = model_folder(tmp_path / "model", *projection(), save=weights_in(location))
    if where == "link inside":
        os.symlink(secret, folder / "weights.bin")
    with pytest.raises(ModelError) as err:
        load_encoder(folder)
    # A link inside the folder is said to be one: 'weights.bin' alone reads as inside it.
    shown = f"'{location}'"
    if where == "link inside":
        shown += f", a link to {os.path.realpath(secret)}"
    assert str(err.value).startswith(f"{folder / 'model.onnx'}: the graph keeps weights in a "
                                     f"file outside its model folder ({shown}), which")


def test_weights_inside_the_model_folder_still_load(tmp_path, secret):
    folder = model_folder(tmp_path / "model", *projection(),
                          save=weights_in("weights.bin", copy_from=secret))
    assert load_encoder(folder).bits == 48


def test_a_hugging_face_cache_snapshot_loads_and_imports(tmp_path, secret):
    """snapshot_download's folder holds only links into the cache's blobs (named by hash),
    model.onnx's as well: its weights lie beside the graph, which onnxruntime reads, and the
    app did before it refused links leading out of the folder ("outside its model folder
    ('weights.bin')"). The import copies the weights, a file over the 1 MB of a note."""
    with open(secret, "ab") as f:  # past the tensor's bytes: a big weights file
        f.write(bytes(2 << 20))
    made = model_folder(tmp_path / "made", *projection(),
                        save=weights_in("weights.bin", copy_from=secret))
    snapshot, blobs = tmp_path / "hub" / "snapshots" / "abc", tmp_path / "hub" / "blobs"
    snapshot.mkdir(parents=True)
    blobs.mkdir()
    for file in made.iterdir():
        blob = file_sha256(file)
        shutil.copy(file, blobs / blob)
        os.symlink(os.path.join("..", "..", "blobs", blob), snapshot / file.name)
    assert load_encoder(snapshot).bits == 48
    copy = import_model(snapshot)
    assert (copy / "weights.bin").is_file() and not (copy / "weights.bin").is_symlink()
    assert load_encoder(copy).bits == 48


def test_an_onnx_file_over_2_gb_is_refused_before_hashing(model_copy):
    """onnxruntime read all 2.2 GB into memory (after 8 s of hashing), then refused it."""
    with open(model_copy / "model.onnx", "r+b") as f:
        f.truncate(2200 << 20)  # sparse: no disk space used
    with pytest.raises(ModelError, match=r"model.onnx: the ONNX file is 2.3 GB, but an ONNX "
                       r"file can hold at most 2 GB"):
        load_encoder(model_copy)


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_an_archive_given_as_model_folder_says_unpack_it(tmp_path, tiny_model_dir, kind):
    archive = tmp_path / f"model.{'zip' if kind == 'zip' else 'tar.gz'}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            z.write(tiny_model_dir / "model.json", "model/model.json")
    else:
        with tarfile.open(archive, "w:gz") as t:
            t.add(tiny_model_dir, "model")
    with pytest.raises(ModelError) as err:
        load_encoder(archive)
    assert str(err.value) == (f"{archive}: this is a {kind} archive, not a model folder. Unpack "
                              "it first, then choose the folder inside it that holds "
                              "model.onnx and model.json.")


# -- (c) what the graph gives ----------------------------------------------------------------
@pytest.mark.parametrize("out_type, shown", [(TensorProto.INT64, "tensor(int64)"),
                                             (TensorProto.BOOL, "tensor(bool)")])
def test_an_output_of_whole_numbers_or_booleans_is_refused(tmp_path, out_type, shown):
    nodes, inits = projection("real")
    nodes.append(helper.make_node("Cast", ["real"], ["codes"], to=out_type))
    folder = model_folder(tmp_path / "model", nodes, inits, out_type=out_type)
    with pytest.raises(ModelError, match=re.escape(f"model.onnx: the graph's output 'codes' "
                       f"is {shown} ['?', 48], but Lookalike needs float32 [batch, 48]")):
        load_encoder(folder)


def test_outputs_onnxruntime_cannot_foresee_are_checked_when_they_come(tmp_path):
    """50 values a picture from a graph whose output shape is known only when it runs, under a
    card saying 52 bits: packed, both are 7 bytes, so the probe matched and every code was
    made of 50 bits and 2 padding zeros."""
    nodes, inits = projection("projected", bits=50)
    nodes += [helper.make_node("ReduceMax", ["pixels"], ["top"], keepdims=0),
              helper.make_node("Greater", ["top", "low"], ["yes"]),
              helper.make_node("Cast", ["yes"], ["one"], to=TensorProto.INT64),
              helper.make_node("Mul", ["one", "fifty"], ["width"]),  # 50, known only at run
              helper.make_node("Reshape", ["width", "one_axis"], ["width1"]),
              helper.make_node("Concat", ["any_rows", "width1"], ["shape"], axis=0),
              helper.make_node("Reshape", ["projected", "shape"], ["codes"])]
    inits += [numpy_helper.from_array(np.array(-1e30, np.float32), "low"),
              numpy_helper.from_array(np.array(50, np.int64), "fifty"),
              numpy_helper.from_array(np.array([1], np.int64), "one_axis"),
              numpy_helper.from_array(np.array([-1], np.int64), "any_rows")]
    folder = model_folder(tmp_path / "model", nodes, inits, bits=52, out_shape=None)
    with pytest.raises(ModelError, match=r"model.onnx: the graph gives outputs of shape "
                       r"\[4, 50\] for 4 pictures, but the card says \[4, 52\]"):
        load_encoder(folder)


def test_a_batch_size_fixed_inside_the_graph_is_a_model_error(tmp_path):
    """The input's batch axis is dynamic but a Reshape fixes 4 rows: the probe (4 pictures)
    passed, then the check of its codes (12) failed with onnxruntime's own error, as a bug."""
    nodes, inits = projection("real")
    nodes.append(helper.make_node("Reshape", ["real", "four"], ["codes"]))
    inits.append(numpy_helper.from_array(np.array([4, 48], np.int64), "four"))
    folder = model_folder(tmp_path / "model", nodes, inits)
    with pytest.raises(ModelError, match="model.onnx: the model cannot encode 12 pictures at "
                       "once .* Re-export it so that it takes batches of any size"):
        load_encoder(folder)


def test_nan_outputs_are_refused(tmp_path):
    """code_variety runs on every load: a graph giving NaN (all bits 0) is refused."""
    nodes, inits = projection("real")
    nodes.append(helper.make_node("Mul", ["real", "nan"], ["codes"]))
    inits.append(numpy_helper.from_array(np.array(np.nan, np.float32), "nan"))
    folder = model_folder(tmp_path / "model", nodes, inits)
    with pytest.raises(ModelError, match="model.onnx: the model gives outputs that are not "
                       "numbers"):
        load_encoder(folder)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_named_pipe_given_as_the_model_folder_is_refused_at_once(tmp_path):
    """Looking at it for an archive opened it, which waits for a writer for good."""
    pipe = tmp_path / "model-pipe"
    os.mkfifo(pipe)
    with pytest.raises(ModelError, match="this is a file, not a model folder"):
        load_encoder(pipe)
