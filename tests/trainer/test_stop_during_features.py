"""Ctrl-C while the backbone features are extracted (minutes for thousands of photos): the
features extracted so far are kept, and running the same command again extracts only the rest,
giving the features a run without a stop gives."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
from fast_settings import FAST

from desktop_app import paths
from desktop_app.core.model_card import read_card
from trainer import features
from trainer.cli import main


def test_a_run_stopped_while_extracting_features_goes_on_from_where_it_stopped(
        albums, tmp_path, capsys, monkeypatch):
    original = features.photo_tensors
    read = []

    def read_then_stop(paths_, spec):  # Ctrl-C as the third batch of 4 photos is read
        read.extend(paths_)
        if len(read) == 12:
            os.kill(os.getpid(), signal.SIGINT)
        return original(paths_, spec)

    monkeypatch.setattr(features, "photo_tensors", read_then_stop)
    out = tmp_path / "model"
    argv = ["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "json", *FAST,
            "--set", "train.batch_size=4"]
    assert main(argv) == 130
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert "those extracted so far are kept" in last["message"]
    cache = paths.cache_dir() / "trainer-features"
    assert [p.name.endswith(".partial.npy") for p in cache.iterdir()] == [True]

    read.clear()
    assert main(argv) == 0
    run = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    manifest = json.loads((out / "training" / "manifest.json").read_text())
    in_order = [p["path"] for p in manifest["photos"]]
    # the features phase read only the photos not extracted before the stop (the export then
    # reads a few to check the model)
    assert read[:3] == in_order[12:] and in_order[0] not in read[:3]
    steps = [e["step"] for e in run if e.get("phase") == "features" and "doing" not in e]
    assert min(steps) >= 12 and steps[-1] == 15  # the bar goes on from where it stopped
    kept = [p for p in cache.iterdir()]
    assert [p.name.endswith(".partial.npy") for p in kept] == [False]
    monkeypatch.setattr(features, "photo_tensors", original)
    fresh = features.extract_features(in_order,
                                      spec=features.input_spec_for(size=32), batch_size=4)
    np.testing.assert_allclose(np.load(kept[0]), fresh, rtol=1e-5, atol=1e-5)
    assert read_card(out).output.bits == 12
