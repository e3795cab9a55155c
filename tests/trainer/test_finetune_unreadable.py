"""A photo damaged or deleted after `prepare` read it is said by fine-tuning (and by measuring the
current model, --compare-with) as the frozen path says it: the trainer's remedy (prepare the
albums again) with problem "albums-changed" for the app, not the app's own ("it is retried when
the file changes", "it will be picked up where it went"), which nothing does here."""

from __future__ import annotations

import hashlib
import json

import pytest
from fast_settings import FAST
from tiny_finetune import stop_fine_tuning_after

from trainer import config as config_mod
from trainer.cli import main
from trainer.compare import compare_on_run

FINETUNE = ["--mode", "finetune", "--device", "cpu", "--bits", "12", *FAST,
            "--set", "finetune.long_steps=4", "--set", "finetune.active_steps=2",
            "--set", "finetune.frozen_steps=2", "--set", "finetune.eval_every=2",
            "--set", "finetune.batch_size=4"]
APP_REMEDIES = ("retried", "picked up")  # desktop_app/core/images.py's PhotoReadError hints


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def damage(photo) -> None:
    photo.write_bytes(b"\xff\xd8\xff\xe0 not the rest of a JPEG")


def prepared(albums, tmp_path):
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none"]) == 0
    return run_dir, min(albums.rglob("*.jpg"))


def said_error(capsys) -> dict:
    error = events(capsys.readouterr().out)[-1]
    assert error["event"] == "error"
    return error


@pytest.mark.parametrize("change", [damage, lambda photo: photo.unlink()],
                         ids=["damaged", "deleted"])
def test_fine_tuning_says_a_photo_changed_since_prepare_as_the_frozen_path(
        change, albums, tmp_path, capsys):
    run_dir, photo = prepared(albums, tmp_path)
    change(photo)
    capsys.readouterr()
    assert main(["train", str(run_dir), "--progress", "json", *FINETUNE]) == 2
    error = said_error(capsys)
    assert error["problem"] == "albums-changed"  # the retrain dialog words it from this
    assert error["path"] == str(photo)
    assert error["reason"].endswith(", though it was in the albums when they were prepared")
    assert error["message"].startswith(f"{photo}: {error['reason']}. Prepare the albums again")
    assert not any(word in error["message"] for word in APP_REMEDIES)
    # One sentence, word for word the frozen path's.
    assert main(["train", str(run_dir), "--progress", "json", "--mode", "frozen",
                 "--bits", "12", *FAST]) == 2
    assert said_error(capsys) == error


@pytest.mark.slow  # fine-tunes a 32 px backbone on the CPU for two steps: ~4 s here
def test_the_fine_tuning_checkpoint_is_kept_when_a_photo_changed_since_prepare(
        albums, tmp_path, capsys, monkeypatch):
    run_dir, photo = prepared(albums, tmp_path)
    stop_fine_tuning_after(monkeypatch, 2)
    train = ["train", str(run_dir), "--progress", "json", *FINETUNE]
    assert main(train) == 130
    checkpoint = run_dir / "finetune-checkpoint.pt"
    before = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    damage(photo)
    capsys.readouterr()
    assert main(train) == 2
    assert said_error(capsys)["problem"] == "albums-changed"
    assert hashlib.sha256(checkpoint.read_bytes()).hexdigest() == before


def test_measuring_the_current_model_says_a_photo_changed_since_prepare(
        albums, tmp_path, tiny_model_dir):
    run_dir, photo = prepared(albums, tmp_path)
    photo.unlink()
    result = compare_on_run(tiny_model_dir, run_dir, config_mod.resolve())
    # The retrain dialog shows this sentence as why the current model has no numbers.
    problem = result["problem"]
    assert problem.startswith(f"{photo}: ")
    assert ", though it was in the albums when they were prepared. Prepare the albums again" \
        in problem
    assert not any(word in problem for word in APP_REMEDIES)
