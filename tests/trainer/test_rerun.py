"""Running again into an existing folder: other albums or changed albums are prepared and trained
afresh; other backbone settings and --no-resume do not resume old checkpoints."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal

import pytest
from fast_settings import FAST
from photos import make_photo

from desktop_app.core.model_card import read_card
from trainer import training
from trainer.albums import Manifest
from trainer.cli import main


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def other_albums(root):
    for label, name in (("coffee", "coffee"), ("stars", "hubble_deep_field"), ("cat", "cat")):
        for k in range(3):
            make_photo(root / label / f"{name}-{k}.jpg", name, size=(96 + 16 * k, 80 + 8 * k))
    return root


def run(albums, out, *extra) -> list:
    return ["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "json", *FAST,
            *extra]


def train_events(capsys) -> tuple[list[dict], str]:
    captured = capsys.readouterr()
    return [e for e in events(captured.out) if e.get("phase") == "train"], captured.err


def prepare_and_train(albums, run_dir, *extra) -> None:
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none", *FAST]) == 0
    assert main(["train", str(run_dir), "--bits", "12", "--progress", "json", *extra]) == 0


def test_run_into_a_folder_made_from_other_albums_trains_on_the_new_ones(albums, tmp_path,
                                                                         capsys):
    out = tmp_path / "model"
    prepare_and_train(albums, out / "training")  # a manifest and a checkpoint from `albums`
    capsys.readouterr()
    second = other_albums(tmp_path / "second")
    assert main(run(second, out)) == 0
    steps, err = train_events(capsys)
    manifest = Manifest.load(out / "training" / "manifest.json")
    assert manifest.root == str(second.resolve())
    assert sorted(manifest.labels) == ["cat", "coffee", "stars"]
    card = read_card(out)
    assert card.name == "second-12bit" and "coffee" in card.description
    assert card.training["dataset_fingerprint"] == manifest.fingerprint
    assert steps and steps[0]["step"] <= 8  # trained from the start, not resumed
    assert "made from other albums" in err


def test_unfinished_run_resumes_only_while_its_albums_are_unchanged(albums, tmp_path, capsys,
                                                                    monkeypatch):
    out = tmp_path / "model"
    original = training.HeadTrainer.train_step

    def step_then_terminate(self):  # as a Ctrl-C would
        loss = original(self)
        if self.step == 10:
            os.kill(os.getpid(), signal.SIGTERM)
        return loss

    monkeypatch.setattr(training.HeadTrainer, "train_step", step_then_terminate)
    assert main(run(albums, out)) == 130
    monkeypatch.setattr(training.HeadTrainer, "train_step", original)
    before = Manifest.load(out / "training" / "manifest.json")
    capsys.readouterr()
    for k in range(3):
        make_photo(albums / "cats" / f"extra-{k}.jpg", "cat", size=(90 + 8 * k, 90))
    assert main(run(albums, out)) == 0
    steps, err = train_events(capsys)
    after = Manifest.load(out / "training" / "manifest.json")
    assert len(after.photos) == len(before.photos) + 3
    assert read_card(out).training["dataset_fingerprint"] == after.fingerprint
    assert steps and steps[0]["step"] <= 8
    assert "resuming" not in err and "15 photos then, 18 now" in err


def test_other_backbone_settings_do_not_resume_the_old_heads(albums, tmp_path, capsys, caplog):
    run_dir = tmp_path / "run"
    prepare_and_train(albums, run_dir)
    capsys.readouterr()
    assert main(["train", str(run_dir), "--progress", "json", "--set",
                 "backbone.size=40"]) == 0
    steps, _ = train_events(capsys)
    assert steps and steps[0]["step"] <= 8  # the 32-px heads were not resumed
    assert "other backbone settings (size 32 -> 40)" in caplog.text
    assert json.loads((run_dir / "training.json").read_text())["input_size"] == 40

    # evaluate --progress json ends with a `done` event, like the other commands
    assert main(["evaluate", str(run_dir), "--bits", "12", "--progress", "json"]) == 0
    last = events(capsys.readouterr().out)[-1]
    assert last["event"] == "done" and last["evaluation"]["bits"] == 12
    assert last["report"].endswith("evaluation-12.json")
    # export says where the model went once
    caplog.clear()
    caplog.set_level(logging.INFO)
    assert main(["export", str(run_dir), "--bits", "12", "--out", str(tmp_path / "model"),
                 "--progress", "none"]) == 0
    said = capsys.readouterr().err + caplog.text
    assert said.count("exported 12-bit model") == 1


def test_no_resume_fine_tunes_again(albums, tmp_path, capsys):
    run_dir = tmp_path / "run"
    tiny = ["--set", "finetune.long_steps=2", "--set", "finetune.active_steps=2", "--set",
            "finetune.frozen_steps=2", "--set", "finetune.eval_every=2", "--set",
            "finetune.batch_size=4", "--mode", "finetune", "--device", "cpu"]
    prepare_and_train(albums, run_dir, *tiny)
    first, _ = train_events(capsys)
    ft_steps = first[0]["steps"]  # the fine-tuning plan comes first (10 steps), then the head's
    assert ft_steps != first[-1]["steps"]
    assert main(["train", str(run_dir), "--progress", "json", "--no-resume", *tiny]) == 0
    fine_tuning = [e for e in train_events(capsys)[0] if e["steps"] == ft_steps]
    assert fine_tuning and fine_tuning[0]["step"] <= 2  # tuned again from the start
    # Frozen training afresh keeps the tuned backbone of the folder, and says so (it did not).
    assert main(["train", str(run_dir), "--progress", "json", "--no-resume", "--mode",
                 "frozen"]) == 0
    steps, err = train_events(capsys)
    assert all(e["steps"] != ft_steps for e in steps) and steps[0]["step"] == 1
    assert err.count("Frozen training uses the backbone fine-tuned earlier in this run "
                     f"folder ({run_dir / 'backbone.pt'})") == 1, err


def test_a_finished_run_run_again_reads_no_photo(albums, tmp_path, capsys, monkeypatch):
    from trainer import pipeline

    out = tmp_path / "model"
    assert main(run(albums, out)) == 0
    capsys.readouterr()

    def no_prepare(*args, **kwargs):
        raise AssertionError("the unchanged albums were read again")

    monkeypatch.setattr(pipeline, "run_prepare", no_prepare)
    assert main(run(albums, out)) == 0
    _, err = train_events(capsys)
    assert "albums are unchanged" in err
    assert read_card(out).bits == 12


def test_run_no_resume_trains_afresh_without_reading_the_albums_again(albums, tmp_path, capsys,
                                                                       caplog, monkeypatch):
    """`lookalike train` had no way to train afresh into the same folder but deleting it."""
    from trainer import pipeline

    out = tmp_path / "model"
    assert main(run(albums, out)) == 0
    capsys.readouterr()
    monkeypatch.setattr(pipeline, "run_prepare", lambda *a, **k: pytest.fail("albums read"))
    assert main(run(albums, out)) == 0
    assert train_events(capsys)[0] == []  # resumed the finished checkpoint: no step to take
    with caplog.at_level(logging.INFO):
        assert main(run(albums, out, "--no-resume")) == 0
    afresh, _ = train_events(capsys)
    assert afresh and afresh[0]["step"] < afresh[0]["steps"]
    assert "is ignored (--no-resume)" in caplog.text
    assert read_card(out).bits == 12


def test_a_run_folder_saved_with_other_lengths_still_trains_with_valid_bits(albums, tmp_path):
    run_dir = tmp_path / "run"
    prepare_and_train(albums, run_dir)
    saved = run_dir / "config.toml"
    text = saved.read_text()
    assert "bits = [12]" in text
    saved.write_text(text.replace("bits = [12]", "bits = [8]"))  # as an older trainer allowed
    assert main(["train", str(run_dir), "--bits", "12", "--progress", "none"]) == 0
    assert main(["evaluate", str(run_dir), "--bits", "12", "--progress", "none"]) == 0
    assert main(["train", str(run_dir), "--bits", "8", "--progress", "none"]) == 2


def test_preparing_again_leaves_the_users_files_and_mends_a_damaged_manifest(albums, tmp_path):
    run_dir = tmp_path / "run"
    prepare_and_train(albums, run_dir)
    (run_dir / "evaluation-old").mkdir()
    (run_dir / "evaluation-notes.txt").write_text("mine")
    second = other_albums(tmp_path / "second")
    assert main(["prepare", str(second), "--out", str(run_dir), "--progress", "none",
                 *FAST]) == 0
    assert (run_dir / "evaluation-old").is_dir()
    assert (run_dir / "evaluation-notes.txt").read_text() == "mine"
    assert not (run_dir / "heads.pt").exists()  # learnt from the old albums: gone
    (run_dir / "manifest.json").write_text("[]")
    assert main(["prepare", str(second), "--out", str(run_dir), "--progress", "none",
                 *FAST]) == 0
    assert Manifest.load(run_dir / "manifest.json").root == str(second.resolve())


def test_a_damaged_checkpoint_is_not_resumed_and_training_starts_afresh(albums, tmp_path,
                                                                        capsys, caplog):
    out = tmp_path / "model"
    assert main(run(albums, out)) == 0
    checkpoint = out / "training" / "checkpoint.pt"
    (out / "training" / "training.json").unlink()  # as if stopped before the end
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])  # torn, e.g. copied in part
    capsys.readouterr()
    assert main(run(albums, out)) == 0
    steps, _ = train_events(capsys)
    assert steps and steps[0]["step"] <= 8
    assert f"{checkpoint} is damaged and cannot be resumed" in caplog.text
    checkpoint.write_bytes(b"\x80\x02K\x07.")  # a valid pickle, but not a checkpoint (an int)
    assert main(run(albums, out)) == 0


def test_a_stop_while_the_albums_are_read_stops_at_once(albums, tmp_path, capsys, monkeypatch):
    from trainer import albums as albums_mod

    read = []
    original = albums_mod.load_photo

    def read_then_terminate(*args, **kwargs):  # as a Ctrl-C (or the app's Cancel) would
        read.append(args[0])
        if len(read) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return original(*args, **kwargs)

    monkeypatch.setattr(albums_mod, "load_photo", read_then_terminate)
    out = tmp_path / "model"
    assert main(run(albums, out)) == 130
    run_events = events(capsys.readouterr().out)
    assert len(read) < 15 and "features" not in {e.get("phase") for e in run_events}
    message = run_events[-1]["message"]  # what was read is kept: no checkpoint is claimed
    assert "the photos read so far (2 of 15 files) are kept" in message
    assert "checkpoint" not in message
    assert not (out / "training" / "manifest.json").exists()
    read.clear()
    assert main(["prepare", str(albums), "--out", str(tmp_path / "run"), "--progress",
                 "none"]) == 130
    assert not (tmp_path / "run" / "manifest.json").exists()


def test_a_stop_while_the_features_are_extracted_claims_no_checkpoint(albums, tmp_path, capsys,
                                                                     monkeypatch):
    from trainer import features

    original = features.photo_tensors

    def read_then_terminate(*args, **kwargs):  # as a Ctrl-C during the features phase would
        os.kill(os.getpid(), signal.SIGTERM)
        return original(*args, **kwargs)

    monkeypatch.setattr(features, "photo_tensors", read_then_terminate)
    out = tmp_path / "model"
    assert main(run(albums, out)) == 130
    last = events(capsys.readouterr().out)[-1]
    assert last["event"] == "error"
    assert not list((out / "training").glob("*checkpoint.pt"))  # so none may be claimed
    assert "checkpoint" not in last["message"]
    assert "features" in last["message"] and "run the same command again" in last["message"]


def test_a_backbone_tuned_from_other_settings_is_not_used_by_frozen_training(albums, tmp_path,
                                                                            capsys, caplog):
    """backbone.pt from an earlier fine-tuning of another network used to be loaded into this
    one ('training failed unexpectedly (RuntimeError: Error(s) in loading state_dict ...')."""
    import torch

    from trainer.rundir import record_tuned_from, tuned_backbone

    run_dir = tmp_path / "run"
    prepare_and_train(albums, run_dir)
    other = {"backbone": {"name": "resnet18", "size": 224}}
    torch.save({"net.conv1.weight": torch.zeros(64, 3, 7, 7)}, run_dir / "backbone.pt")
    record_tuned_from(run_dir, other)
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        assert main(["train", str(run_dir), "--bits", "12", "--mode", "frozen",
                     "--progress", "json"]) == 0
    assert caplog.text.count("fine-tuned from other backbone settings") == 1  # once a run
    assert events(capsys.readouterr().out)[-1]["event"] == "done"

    # The record decides: the same settings use the file; a file older than records is used.
    cfg = {"backbone": {"name": "efficientnet_lite0", "size": 32, "weights": ""}}
    assert tuned_backbone(run_dir, cfg) is None
    record_tuned_from(run_dir, cfg)
    assert tuned_backbone(run_dir, cfg) == run_dir / "backbone.pt"
    (run_dir / "backbone.json").unlink()
    assert tuned_backbone(run_dir, cfg) == run_dir / "backbone.pt"


def test_a_fine_tuning_that_cannot_save_its_backbone_leaves_no_unrecorded_old_one(
        albums, tmp_path, capsys, monkeypatch):
    """Fine-tuning deleted backbone.json before saving backbone.pt: when that save failed (a
    full disk), the old backbone.pt of other settings stayed without its record, so it passed
    for one from before records and frozen training loaded it into another network."""
    import errno

    import torch

    from trainer import rundir
    from trainer.rundir import record_tuned_from

    run_dir = tmp_path / "run"
    prepare_and_train(albums, run_dir)
    torch.save({"net.conv1.weight": torch.zeros(64, 3, 7, 7)}, run_dir / "backbone.pt")
    record_tuned_from(run_dir, {"backbone": {"name": "resnet18", "size": 224}})
    real_save = rundir.save_state

    def disk_full_at_the_backbone(obj, path):
        if path.name == "backbone.pt":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_save(obj, path)

    monkeypatch.setattr(rundir, "save_state", disk_full_at_the_backbone)
    tiny = ["--set", "finetune.long_steps=2", "--set", "finetune.active_steps=2", "--set",
            "finetune.frozen_steps=2", "--set", "finetune.eval_every=2", "--set",
            "finetune.batch_size=4", "--device", "cpu"]
    assert main(["train", str(run_dir), "--progress", "json", "--mode", "finetune",
                 *tiny]) == 1
    assert "the disk is full" in events(capsys.readouterr().out)[-1]["message"]
    monkeypatch.setattr(rundir, "save_state", real_save)
    assert main(["train", str(run_dir), "--progress", "json", "--mode", "frozen"]) == 0
    assert events(capsys.readouterr().out)[-1]["event"] == "done"


def test_a_damaged_heads_file_is_named_and_training_again_mends_it(albums, tmp_path, capsys):
    run_dir = tmp_path / "run"
    prepare_and_train(albums, run_dir)
    heads = run_dir / "heads.pt"
    heads.write_bytes(heads.read_bytes()[:2000])  # cut short, e.g. by a full disk
    capsys.readouterr()
    for command in (["evaluate", str(run_dir), "--bits", "12"],
                    ["export", str(run_dir), "--bits", "12", "--out", str(tmp_path / "m")]):
        assert main([*command, "--progress", "json"]) == 2
        message = events(capsys.readouterr().out)[-1]["message"]
        assert message.startswith(f"{heads}: this file is damaged")
        assert f"train {run_dir}` again" in message
    assert main(["train", str(run_dir), "--bits", "12", "--progress", "none"]) == 0
    assert main(["evaluate", str(run_dir), "--bits", "12", "--progress", "none"]) == 0


def test_run_again_keeps_the_settings_saved_in_the_folder_as_its_help_says(albums, tmp_path,
                                                                           capsys):
    out = tmp_path / "model"
    assert main(run(albums, out)) == 0  # --bits 12
    assert main(["run", str(albums), "--out", str(out), "--progress", "none"]) == 0
    assert read_card(out).bits == 12  # not the default 48
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "stays for later runs" in " ".join(capsys.readouterr().out.split())


def test_run_again_with_other_lengths_leaves_only_the_new_models(albums, tmp_path, capsys):
    """One length writes MODEL_DIR/model.*, several MODEL_DIR/<bits>bit/: the other layout's
    model from the run before stayed, and `lookalike models activate MODEL_DIR` took the old
    one. Only the files this folder's runs exported go; the user's own files and training/
    stay."""
    out = tmp_path / "model"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(run(albums, out)) == 0  # --bits 12: out/model.onnx + model.json
    assert read_card(out).bits == 12
    capsys.readouterr()

    assert main(run(albums, out, "--bits", "16", "12")) == 0  # several: out/16bit/, out/12bit/
    err = capsys.readouterr().err
    assert not (out / "model.onnx").exists() and not (out / "model.json").exists()
    assert read_card(out / "16bit").bits == 16 and read_card(out / "12bit").bits == 12
    assert ("removed the model files this folder's earlier runs exported: "
            f"{out / 'model.onnx'}, {out / 'model.json'}") in err
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "training" / "manifest.json").is_file()

    (out / "16bit" / "keep.txt").write_text("mine too")
    assert main(run(albums, out, "--bits", "16")) == 0  # one length again: out/model.*
    err = capsys.readouterr().err
    assert read_card(out).bits == 16
    assert not (out / "12bit").exists()  # emptied, so removed
    assert sorted(p.name for p in (out / "16bit").iterdir()) == ["keep.txt"]
    assert ("removed the model files this folder's earlier runs exported: "
            f"{out / '16bit' / 'model.onnx'}, {out / '16bit' / 'model.json'}, "
            f"{out / '12bit' / 'model.onnx'}, {out / '12bit' / 'model.json'}") in err
    assert sorted(p.name for p in out.iterdir()) == [
        "16bit", "model.json", "model.onnx", "notes.txt", "training"]

    assert main(run(albums, out, "--bits", "16")) == 0  # the same layout: nothing to remove
    assert "removed the model files" not in capsys.readouterr().err


def test_run_removes_no_model_it_did_not_export(albums, tmp_path, capsys, caplog):
    """A folder with one run per length in sub-folders (--out M/16bit, --out M/12bit), then a
    run into M itself: the removal took the other runs' models (found by review). A model put
    in by hand, or changed since it was exported, stays too."""
    top = tmp_path / "models"
    assert main(run(albums, top / "16bit", "--bits", "16")) == 0
    assert main(run(albums, top / "12bit", "--bits", "12")) == 0
    theirs = {p: p.read_bytes() for p in top.glob("*bit/model.*")}
    capsys.readouterr()
    assert main(run(albums, top, "--bits", "12")) == 0  # one length: top/model.*
    assert len(theirs) == 4 and all(p.read_bytes() == data for p, data in theirs.items())
    assert "removed the model files" not in capsys.readouterr().err

    mine = tmp_path / "mine"
    assert main(run(albums, mine, "--bits", "12")) == 0  # records mine/model.*
    shutil.copy2(top / "16bit" / "model.onnx", mine / "model.onnx")  # changed by hand since
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert main(run(albums, mine, "--bits", "16", "12")) == 0
    err = capsys.readouterr().err
    assert (mine / "model.onnx").read_bytes() == (top / "16bit" / "model.onnx").read_bytes()
    assert not (mine / "model.json").exists()  # as exported: removed, and said
    assert f"earlier runs exported: {mine / 'model.json'}\n" in err

    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(top / "16bit", elsewhere, ignore=shutil.ignore_patterns("training"))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert main(run(albums, elsewhere, "--bits", "16", "12")) == 0
    assert read_card(elsewhere).bits == 16  # a model this run did not make: left, and said
    assert "a model this run did not make, left as it is" in caplog.text


def test_a_run_whose_checkpoint_will_not_resume_does_not_say_it_resumes(albums, tmp_path, capsys,
                                                                       caplog):
    """Another --bits makes other head settings: the log said "its training resumes where it
    stopped" and, right after, that the checkpoint was made with other head settings."""
    out = tmp_path / "model"
    assert main(run(albums, out)) == 0
    capsys.readouterr()
    assert main(run(albums, out)) == 0  # the same settings: it does resume
    assert "its photos are not read again, and its training resumes where it stopped" \
        in capsys.readouterr().err
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert main(run(albums, out, "--bits", "16")) == 0
    steps, err = train_events(capsys)
    assert "its photos are not read again" in err
    assert "its training resumes" not in err and "resumed" not in caplog.text
    assert "checkpoint.pt was made with other head settings; training starts afresh" \
        in caplog.text
    assert steps and steps[0]["step"] <= 8
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert main(run(albums, out, "--bits", "16", "--no-resume")) == 0
    err = capsys.readouterr().err
    assert "its training resumes" not in err and "is ignored (--no-resume)" in caplog.text


def test_run_keeps_an_earlier_model_the_library_uses(albums, tmp_path, capsys, caplog):
    """`lookalike train` into a folder the app trained its active model in, with another
    layout: the clean-up removed the library's active model (the app then said no model is
    installed; found by an audit)."""
    from desktop_app.core.store import Store

    out = tmp_path / "model"
    assert main(run(albums, out)) == 0  # out/model.*
    card = read_card(out)
    with Store() as store:
        store.register_model(card.model_id, card.name, card.bits, str(out),
                             (out / "model.json").read_text())
        store.set_active_model(card.model_id)
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        assert main(run(albums, out, "--bits", "16", "12")) == 0
    assert read_card(out).model_id == card.model_id  # still there, as exported
    assert "removed the model files" not in capsys.readouterr().err
    assert "kept, since the library uses the model in" in caplog.text
