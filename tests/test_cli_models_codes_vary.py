"""A model whose codes do not vary (a final sigmoid) was refused by `models import` only: copied
into the models folder by hand (then `models activate NAME`) or given with `--model DIR`, it was
used, and every photo got the same code. Every load checks it now (the Encoder's self-test); a
model that passed is remembered in the cache folder, so the check does not cost every start."""

from __future__ import annotations

import json

import pytest
from cli_run import run
from tiny_model import make_tiny_model

from desktop_app import cli, paths
from desktop_app.core import code_variety
from desktop_app.core.encoder import load_encoder
from desktop_app.core.errors import ModelError
from desktop_app.core.store import Store

CAUSE = ("every probe picture got the same code: the model's outputs are never negative (it "
         "ends in a sigmoid")
REMEDY = "Export the model's outputs before the sign (the raw linear layer, or a tanh)"


@pytest.fixture
def album(tmp_path, photo_factory):
    photo_factory("album/chelsea.jpg", "chelsea")
    photo_factory("album/coffee.jpg", "coffee")
    return tmp_path / "album"


def sigmoid_model(folder):
    return make_tiny_model(folder, name="sigmoid-48", final="Sigmoid", scale=0.01)


def assert_refused(code, err, folder):
    assert code == cli.EXIT_MODEL, err
    assert f"{folder / 'model.onnx'}: {CAUSE}" in err and REMEDY in err, err


def test_a_model_copied_into_the_models_folder_by_hand_is_refused(capsys, album):
    folder = sigmoid_model(paths.models_dir() / "sigmoid-48")
    code, out, err = run(capsys, "models", "list")  # listed (its card is read, not run)...
    assert code == cli.EXIT_OK and "sigmoid-48" in out
    code, out, err = run(capsys, "models", "activate", "sigmoid-48")  # ...but never used
    assert_refused(code, err, folder)
    code, out, err = run(capsys, "models", "activate", folder)
    assert_refused(code, err, folder)
    with Store() as store:
        assert store.active_model_id() is None and store.models() == []


@pytest.mark.parametrize("command", [["index", "ALBUM"], ["status"], ["duplicates"],
                                     ["similar", "ALBUM/chelsea.jpg"]])
def test_a_model_given_with_model_is_refused(capsys, album, tmp_path, command):
    folder = sigmoid_model(tmp_path / "exported")
    argv = [str(album) + a.removeprefix("ALBUM") if a.startswith("ALBUM") else a
            for a in command]
    code, _out, err = run(capsys, "--model", folder, *argv)
    assert_refused(code, err, folder)
    if paths.database_path().exists():
        with Store() as store:
            assert store.query("SELECT COUNT(*) FROM codes") == [(0,)]


def test_the_default_model_loads_and_its_pass_is_remembered(capsys, album, monkeypatch):
    assert run(capsys, "index", album)[0] == cli.EXIT_OK  # the default model: no --model
    passed = json.loads((paths.cache_dir() / code_variety.PASSED_FILE).read_text())["passed"]
    assert len(passed) == 1

    def not_again(encoder, where=None):
        raise AssertionError(f"{encoder.card.name} was checked again")

    monkeypatch.setattr(code_variety, "check_codes_vary", not_again)
    assert load_encoder(paths.default_model_dir()).card.name == "default"
    assert run(capsys, "similar", album / "chelsea.jpg")[0] == cli.EXIT_OK


def test_a_remembered_pass_is_for_that_graph_and_those_input_settings(tmp_path, monkeypatch):
    good = make_tiny_model(tmp_path / "good", seed=1)
    load_encoder(good)
    checked = []
    real = code_variety.check_codes_vary
    monkeypatch.setattr(code_variety, "check_codes_vary",
                        lambda encoder, where=None: checked.append(encoder.card.name)
                        or real(encoder, where))
    load_encoder(good)
    assert checked == []
    # Same graph, other preprocessing: other pictures reach the graph, so it is checked again.
    card = json.loads((good / "model.json").read_text())
    card.update(name="good, other mean", input={**card["input"], "mean": [0.0, 0.0, 0.0]})
    (good / "model.json").write_text(json.dumps(card))
    load_encoder(good)
    assert checked == ["good, other mean"]
    bad = sigmoid_model(tmp_path / "bad")
    for _ in range(2):  # a refusal is not remembered: said at every load
        with pytest.raises(ModelError, match="sigmoid"):
            load_encoder(bad)
    assert checked[1:] == ["sigmoid-48", "sigmoid-48"]


def test_a_cache_that_cannot_be_written_only_costs_the_check_again(tmp_path, monkeypatch):
    paths.cache_dir().parent.mkdir(parents=True, exist_ok=True)
    paths.cache_dir().write_text("a file where the cache folder should be")
    assert load_encoder(make_tiny_model(tmp_path / "good")).bits == 48


@pytest.mark.parametrize("content", [b"", b"\x00" * 64, b"\xff\xfe not text", b'{"passed": 5}',
                                     b"[1, 2]", b"[" * 100_000])
def test_a_damaged_record_of_passes_only_costs_the_check_again(tmp_path, content):
    """Whatever the file holds (a power cut's zeros, another program's text, brackets nested
    deeper than the JSON reader recurses), the model loads and the file is written anew."""
    record = paths.cache_dir() / code_variety.PASSED_FILE
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_bytes(content)
    assert load_encoder(make_tiny_model(tmp_path / "good")).bits == 48
    assert len(json.loads(record.read_text())["passed"]) == 1
