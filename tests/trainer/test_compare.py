"""`--compare-with`: the model in use is measured on the new model's held-out photos, with the
app's own encoder and the trainer's metric code, so the retrain dialog compares like with like."""

from __future__ import annotations

import json
import os
import shutil
import signal

import numpy as np
import pytest
from fast_settings import FAST
from photos import SAMPLE_NAMES, make_photo
from tiny_model import make_tiny_model

from desktop_app.core.encoder import Encoder, load_encoder
from trainer.albums import Manifest
from trainer.cli import main
from trainer.features import photo_tensors
from trainer.metrics import mean_average_precision, tie_aware_map

# A larger query split than the default: more held-out photos to measure on.
QUERIES = ["--set", "data.query_fraction=0.3"]


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def mixed_albums(tmp_path):
    """Two versions of each sample photo, in different albums: a photo's nearest neighbour is
    often in another album, so mAP is well below 1 and tells models and splits apart."""
    root = tmp_path / "mixed"
    labels = ["a", "b", "c"]
    for i, name in enumerate(SAMPLE_NAMES):
        for k in range(2):
            make_photo(root / labels[(i + k) % 3] / f"{name}-{k}.jpg", name,
                       size=(96 + 16 * k, 80 + 8 * k))
    return root


def app_map(model_dir, manifest: Manifest, metric=mean_average_precision) -> float:
    """mAP@all of the app's codes for the manifest's query photos against its database."""
    encoder = load_encoder(model_dir)
    packed = encoder.encode_pixels(photo_tensors(manifest.paths(), encoder.card.input))
    codes = np.unpackbits(packed, axis=1)[:, :encoder.bits].astype(bool)
    labels = manifest.multi_hot()
    q, db = manifest.indices("query"), manifest.indices("database")
    return metric(codes[q], labels[q], codes[db], labels[db])


def test_the_current_model_is_measured_on_the_new_models_held_out_photos(
        mixed_albums, tmp_path, capsys, tiny_model_dir):
    out = tmp_path / "model"
    assert main(["run", str(mixed_albums), "--out", str(out), "--bits", "12", "--compare-with",
                 str(tiny_model_dir), "--progress", "json", *FAST, *QUERIES]) == 0
    run = events(capsys.readouterr().out)
    done = run[-1]
    new, compared = done["evaluation"], done["compared"]
    assert compared["model_dir"] == str(tiny_model_dir.resolve())
    assert compared["name"] == "tiny-48" and compared["bits"] == 48
    current = compared["evaluation"]
    # the same photos: as many queries and database photos, the same k's
    manifest = Manifest.load(out / "training" / "manifest.json")
    assert current["queries"] == new["queries"] == len(manifest.indices("query")) >= 4
    assert current["database"] == new["database"] == len(manifest.indices("database"))
    assert current["precision_at_k"].keys() == new["precision_at_k"].keys()
    assert "importance_spread" not in current  # not measured: nothing to compare it with
    # ...and the number the app's own encoder gives on that split
    assert current["map_all"] == pytest.approx(app_map(tiny_model_dir, manifest), abs=1e-4)
    # and the order-free numbers the dialog compares (photos at one distance in any order)
    assert current["map_all_tie_aware"] == pytest.approx(
        app_map(tiny_model_dir, manifest, tie_aware_map), abs=1e-4)
    assert current["precision_at_k_tie_aware"].keys() == new["precision_at_k_tie_aware"].keys()
    # reported like the other stages, one step per photo, before the new model is exported
    phases = [e["phase"] for e in run if e["event"] == "progress"]
    assert phases.index("compare") < phases.index("export")
    assert max(e["step"] for e in run if e.get("phase") == "compare") == len(manifest.photos)
    saved = json.loads((out / "training" / "comparison.json").read_text())
    assert saved.pop("inputs")["onnx_sha256"] and saved == compared

    # The new model compared with itself (its exported ONNX, through the app's encoder) gives
    # its own evaluation: the same photos, labels and metric on both sides.
    assert main(["evaluate", str(out / "training"), "--bits", "12", "--compare-with", str(out),
                 "--progress", "json"]) == 0
    done = events(capsys.readouterr().out)[-1]
    itself, own = done["compared"]["evaluation"], done["evaluation"]
    assert 0.1 < own["map_all"] < 0.9  # not saturated: a different split would show
    assert itself["map_all"] == pytest.approx(own["map_all"], abs=0.01)
    assert itself["precision_at_k"] == pytest.approx(own["precision_at_k"], abs=0.01)
    assert (itself["queries"], itself["database"]) == (own["queries"], own["database"])


def test_the_current_models_numbers_are_reused_while_it_and_the_photos_are_the_same(
        albums, tmp_path, capsys, tiny_model_dir, monkeypatch):
    """Every run encoded every photo of the albums with the current model again, a resumed one
    too (thousands of photos: minutes). The numbers in comparison.json are reused while the
    model's files and the run's photos, labels and split are those they were measured on."""
    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--compare-with",
                 str(tiny_model_dir), "--progress", "json", *FAST]) == 0
    first = events(capsys.readouterr().out)[-1]["compared"]
    encoded = []
    real = Encoder.encode_pixels

    def counted(self, pixels):
        encoded.append(self.card.name)
        return real(self, pixels)

    monkeypatch.setattr(Encoder, "encode_pixels", counted)

    def compared_with(model_dir) -> dict:
        encoded.clear()
        assert main(["evaluate", str(out / "training"), "--bits", "12", "--compare-with",
                     str(model_dir), "--progress", "json"]) == 0
        run = events(capsys.readouterr().out)
        assert any(e.get("phase") == "compare" for e in run) == bool(encoded)
        return run[-1]["compared"]

    assert compared_with(tiny_model_dir) == first and not encoded
    copy = shutil.copytree(tiny_model_dir, tmp_path / "copy")  # the same model elsewhere
    assert compared_with(copy) == {**first, "model_dir": str(copy.resolve())} and not encoded
    other = make_tiny_model(tmp_path / "other", bits=32, seed=3, name="other")
    assert compared_with(other)["name"] == "other" and encoded == ["other"] * len(encoded)
    assert compared_with(other)["name"] == "other" and not encoded
    # The photos split otherwise (albums changed): measured again.
    manifest = json.loads((out / "training" / "manifest.json").read_text())
    query = next(p for p in manifest["photos"] if p["split"] == "query")
    query["split"] = "train"
    (out / "training" / "manifest.json").write_text(json.dumps(manifest))
    again = compared_with(other)
    assert encoded and again["evaluation"]["queries"] == first["evaluation"]["queries"] - 1


def test_a_broken_current_model_is_named_and_the_training_still_finishes(
        albums, tmp_path, capsys, caplog, tiny_model_dir):
    broken = tmp_path / "current"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "model.onnx").write_bytes(b"not a graph")
    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--compare-with",
                 str(broken), "--progress", "json", *FAST]) == 0
    done = events(capsys.readouterr().out)[-1]
    assert done["event"] == "done" and done["model_dir"] == str(out.resolve())
    load_encoder(out)  # the new model is there and works
    problem = done["compared"]["problem"]
    assert problem.startswith(f"{broken / 'model.onnx'}: the ONNX file does not match")
    assert "evaluation" not in done["compared"]
    assert problem in caplog.text  # and in the log
    assert json.loads((out / "training" / "comparison.json").read_text()) == done["compared"]

    missing = tmp_path / "gone"
    assert main(["evaluate", str(out / "training"), "--bits", "12", "--compare-with",
                 str(missing), "--progress", "json"]) == 0
    done = events(capsys.readouterr().out)[-1]
    assert done["compared"] == {"model_dir": str(missing), "problem": (
        f"{missing}: this model folder does not exist. Choose a folder that holds model.onnx "
        "and model.json.")}
    assert done["evaluation"]["bits"] == 12


def test_stopping_while_the_current_model_is_measured_stops_the_run(
        albums, tmp_path, capsys, tiny_model_dir, monkeypatch):
    real = Encoder.encode_pixels

    def encode_then_terminate(self, pixels):
        os.kill(os.getpid(), signal.SIGTERM)  # as Cancel in the app does
        return real(self, pixels)

    monkeypatch.setattr(Encoder, "encode_pixels", encode_then_terminate)
    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--compare-with",
                 str(tiny_model_dir), "--progress", "json", *FAST]) == 130
    last = events(capsys.readouterr().out)[-1]
    assert last["event"] == "error" and last["message"] == (
        "stopped while measuring the current model on the held-out photos; run the same command "
        "again to go on")
    assert (out / "training" / "checkpoint.pt").is_file()
    assert not (out / "model.onnx").exists()


def test_stopping_while_evaluate_measures_the_current_model_stops_it(
        albums, tmp_path, capsys, tiny_model_dir, monkeypatch):
    """`evaluate --compare-with` went on measuring every photo after Ctrl-C."""
    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "none",
                 *FAST]) == 0
    real = Encoder.encode_pixels

    def encode_then_terminate(self, pixels):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C
        return real(self, pixels)

    monkeypatch.setattr(Encoder, "encode_pixels", encode_then_terminate)
    capsys.readouterr()
    assert main(["evaluate", str(out / "training"), "--bits", "12", "--compare-with",
                 str(tiny_model_dir), "--progress", "json"]) == 130
    last = events(capsys.readouterr().out)[-1]
    assert last["event"] == "error" and last["message"].startswith(
        "stopped while measuring the current model on the held-out photos")
