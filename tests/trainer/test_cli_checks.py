"""Bad input is refused early, with exit code 2 and one sentence: settings, code lengths, output
and albums paths, too few validation photos, a run that is not trained yet, a missing torch."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from photos import make_photo
from unwritable import unwritable_prefix

from desktop_app.install_hint import train_install_hint
from trainer.cli import main


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_too_few_validation_photos_names_the_album_before_any_feature(tmp_path, capsys):
    root = tmp_path / "albums"
    for k in range(6):
        make_photo(root / "a" / f"{k}.jpg", "chelsea", size=(70 + 8 * k, 70))
    make_photo(root / "b" / "only.jpg", "coffee", size=(80, 80))
    code = main(["run", str(root), "--out", str(tmp_path / "m"), "--progress", "json"])
    run = events(capsys.readouterr().out)
    assert code == 2
    message = run[-1]["message"]
    assert run[-1]["event"] == "error" and "validation" in message
    assert "'b' has 1" in message and "at least 3" in message
    assert "features" not in {e.get("phase") for e in run}


@pytest.mark.parametrize("setting,allowed", [
    ("head.merge=avg", '"sum" or "mean"'),
    ("head.lr=abc", "a number"),
    ("finetune.lr_schedule=step", '"constant" or "cosine"'),
    ("finetune.augment=blur", 'true, false or "crop"'),
    ("head.stages=abc", "a list of positive whole numbers"),
    ("head.stages=[64, 0]", "a list of positive whole numbers"),
    ("data.val_fraction=1.5", "from 0 up to"),
    ("train.mode=fast", '"auto" or "frozen" or "finetune"'),
])
def test_a_bad_setting_is_refused_before_anything_is_saved(albums, tmp_path, capsys, setting,
                                                           allowed):
    out = tmp_path / "model"
    code = main(["run", str(albums), "--out", str(out), "--progress", "json", "--set", setting])
    run = events(capsys.readouterr().out)
    assert code == 2
    assert [e["event"] for e in run] == ["error"]  # refused before reading the albums
    key, value = setting.split("=")
    assert key in run[0]["message"] and value in run[0]["message"]
    assert allowed in run[0]["message"]
    assert not out.exists()  # no config.toml that would break later plain runs


@pytest.mark.parametrize("bits", ["8", "11", "65", "100"])
def test_bits_outside_12_to_64_are_refused_before_the_albums_are_read(albums, tmp_path, capsys,
                                                                       bits):
    code = main(["run", str(albums), "--out", str(tmp_path / "m"), "--bits", bits,
                 "--progress", "json"])
    run = events(capsys.readouterr().out)
    assert code == 2 and [e["event"] for e in run] == ["error"]
    assert f"{bits} bits" in run[0]["message"] and "12 to 64" in run[0]["message"]


def test_any_length_from_12_to_64_is_a_stage_of_the_chain():
    from trainer import config as config_mod
    from trainer.pipeline import head_config

    assert head_config(config_mod.resolve(train_bits=[13])).stages == (64, 48, 32, 24, 13)
    assert head_config(config_mod.resolve(train_bits=[64, 12])).stages == (64, 48, 32, 24, 12)
    assert config_mod.resolve(overrides=["train.bits=20"])["train"]["bits"] == [20]


def test_export_and_evaluate_of_a_run_that_was_only_prepared(albums, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none"]) == 0
    capsys.readouterr()
    assert main(["export", str(run_dir), "--bits", "48", "--out", str(tmp_path / "x"),
                 "--progress", "json"]) == 2
    message = events(capsys.readouterr().out)[-1]["message"]
    assert "no trained model yet" in message
    assert f"python -m trainer train {run_dir}" in message
    assert main(["evaluate", str(run_dir), "--bits", "48", "--progress", "json"]) == 2
    run = events(capsys.readouterr().out)
    assert "no trained model yet" in run[-1]["message"]
    assert "features" not in {e.get("phase") for e in run}  # refused before extracting any


def test_albums_that_are_a_file_are_called_a_file(tmp_path, capsys):
    notes = tmp_path / "some_file.txt"
    notes.write_text("not albums")
    assert main([str(notes), "--out", str(tmp_path / "x"), "--progress", "json"]) == 2
    message = events(capsys.readouterr().out)[-1]["message"]
    assert "is a file" in message and "one sub-folder of photos per label" in message
    assert "does not exist" not in message


@pytest.mark.parametrize("command", ["prepare", "run", "export", "run-nested", "run-inside"])
def test_an_output_path_that_is_a_file_is_refused_up_front(albums, tmp_path, capsys, command):
    taken = tmp_path / "model" / "training" if command == "run-inside" else tmp_path / "taken"
    taken.parent.mkdir(exist_ok=True)
    taken.write_text("something else")
    out = {"run-nested": taken / "model", "run-inside": taken.parent}.get(command, taken)
    source = [str(tmp_path / "run"), "--bits", "48"] if command == "export" else [str(albums)]
    code = main([command.split("-")[0], *source, "--out", str(out), "--progress", "json"])
    run = events(capsys.readouterr().out)
    assert code == 2 and [e["event"] for e in run] == ["error"]
    assert f"{taken}: this is a file" in run[0]["message"]
    assert taken.read_text() == "something else"


def test_help_shows_the_one_command_form_and_the_steps(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"], prog="lookalike train")
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "lookalike train ALBUMS --out MODEL_DIR" in text
    for command in ("prepare", "train", "evaluate", "export", "run", "inspect"):
        assert command in text


def test_without_torch_the_error_is_one_line_with_the_install_hint(albums, tmp_path):
    # As in an install without the `train` extra: importing torch fails as if it were absent.
    code = textwrap.dedent("""
        import importlib.abc, sys
        class NoTorch(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "torchvision"):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        sys.meta_path.insert(0, NoTorch())
        from trainer.cli import main
        sys.exit(main(["run", sys.argv[1], "--out", sys.argv[2], "--progress", "json"]))
    """)
    done = subprocess.run([sys.executable, "-c", code, str(albums), str(tmp_path / "m")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    run = events(done.stdout)
    assert run[-1]["event"] == "error"
    assert train_install_hint() in run[-1]["message"]
    assert "No module named 'torch'" in run[-1]["message"]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "pip install" in errors[0]


@pytest.mark.parametrize("command,inside", [("run", "model"), ("run", "."), ("prepare", "run")])
def test_an_output_folder_inside_the_albums_is_refused(albums, tmp_path, capsys, command, inside):
    # Its training/ plots would become an album of their own on the next run.
    out = albums / inside
    code = main([command, str(albums), "--out", str(out), "--progress", "json"])
    run = events(capsys.readouterr().out)
    assert code == 2 and [e["event"] for e in run] == ["error"]
    assert "inside the albums folder" in run[0]["message"]
    assert sorted(p.name for p in albums.iterdir()) == ["cats", "microscopy", "space"]


@pytest.mark.parametrize("command", ["run", "prepare"])
def test_an_output_folder_that_cannot_be_written_is_refused_up_front(albums, tmp_path, command):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:  # in a subprocess: root's rights to write anyway are dropped there
        done = subprocess.run([*unwritable_prefix("no write permission", locked), sys.executable,
                               "-m", "trainer", command, str(albums), "--out",
                               str(locked / "model"), "--progress", "json"],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        locked.chmod(0o755)
    run = events(done.stdout)
    assert done.returncode == 2 and [e["event"] for e in run] == ["error"]  # no photo read
    assert f"{locked}: this folder cannot be written to" in run[0]["message"]


def test_a_photo_gone_since_prepare_says_to_prepare_again(albums, tmp_path, capsys):
    from fast_settings import FAST

    from trainer.albums import Manifest

    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none", *FAST]) == 0
    manifest = Manifest.load(run_dir / "manifest.json")
    gone = manifest.paths("train")[0]
    data = Path(gone).read_bytes()
    os.remove(gone)
    capsys.readouterr()
    assert main(["train", str(run_dir), "--bits", "12", "--progress", "json"]) == 2
    message = events(capsys.readouterr().out)[-1]["message"]
    assert message.startswith(gone) and "when they were prepared" in message
    assert "Prepare the albums again" in message and "Nothing to do" not in message
    Path(gone).write_bytes(data)  # back for training, then damaged before the export
    assert main(["train", str(run_dir), "--bits", "12", "--progress", "none"]) == 0
    Path(gone).write_bytes(data[:300])
    assert main(["export", str(run_dir), "--bits", "12", "--out", str(tmp_path / "m"),
                 "--progress", "json"]) == 2
    message = events(capsys.readouterr().out)[-1]["message"]
    assert message.startswith(gone) and "Prepare the albums again" in message


def test_a_run_folder_whose_config_is_damaged_says_what_to_do(albums, tmp_path, capsys):
    from fast_settings import FAST

    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "none",
                 *FAST]) == 0
    saved = out / "training" / "config.toml"
    saved.write_text(saved.read_text()[:40] + "= [")  # torn
    capsys.readouterr()
    assert main(["run", str(albums), "--out", str(out), "--progress", "json"]) == 2
    message = events(capsys.readouterr().out)[-1]["message"]
    assert message.startswith(f"{saved}: the configuration file is not valid TOML")
    assert "may instead be deleted" in message
    assert main(["run", str(albums), "--out", str(out), "--config", str(tmp_path / "no.toml"),
                 "--progress", "json"]) == 2
    message = events(capsys.readouterr().out)[-1]["message"]
    assert "does not exist" in message and "Give --config an existing TOML file" in message
    saved.unlink()
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "none",
                 *FAST]) == 0


@pytest.mark.parametrize("config", ["a folder", "not text"])
def test_a_config_file_that_cannot_be_read_as_text_is_bad_input(albums, tmp_path, capsys, config):
    path = tmp_path / "settings.toml"
    if config == "a folder":
        path.mkdir()
    else:
        path.write_bytes(b"\xff\xfe[head]\n")  # UTF-16, as some editors save
    code = main(["run", str(albums), "--out", str(tmp_path / "m"), "--config", str(path),
                 "--progress", "json"])
    run = events(capsys.readouterr().out)
    assert code == 2 and [e["event"] for e in run] == ["error"]
    assert run[0]["message"].startswith(f"{path}: the configuration file cannot be read")
    assert "failed unexpectedly" not in run[0]["message"]


def test_a_weights_file_of_another_network_is_refused_before_it_is_saved(albums, tmp_path,
                                                                          capsys):
    import torch

    wrong = tmp_path / "wrong.pt"
    torch.save({"fc.weight": torch.zeros(2, 2)}, wrong)
    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--backbone-weights", str(wrong),
                 "--progress", "json"]) == 2
    run = events(capsys.readouterr().out)
    assert [e["event"] for e in run] == ["error"]  # before the albums are read
    assert run[0]["message"].startswith(f"{wrong}: does not hold weights")
    assert not out.exists()  # else config.toml would repeat it on every later run
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none"]) == 0
    assert main(["train", str(run_dir), "--backbone-weights", str(wrong),
                 "--progress", "none"]) == 2
    assert "wrong.pt" not in (run_dir / "config.toml").read_text()


def test_backbone_weights_given_empty_go_back_to_the_default(tmp_path):
    from trainer import config as config_mod
    from trainer.cli import _config, build_parser

    weights = tmp_path / "lite0.pt"
    weights.write_bytes(b"")
    run_dir = tmp_path / "model" / "training"
    run_dir.mkdir(parents=True)
    config_mod.save(config_mod.resolve(backbone_weights=str(weights)), run_dir / "config.toml")
    args = build_parser().parse_args(["run", "albums", "--out", str(tmp_path / "model")])
    assert _config(args, run_dir)["backbone"]["weights"] == str(weights)  # kept from the run
    args = build_parser().parse_args(["run", "albums", "--out", str(tmp_path / "model"),
                                      "--backbone-weights", ""])
    assert _config(args, run_dir)["backbone"]["weights"] == ""


def test_evaluate_and_export_refuse_backbone_settings_the_heads_were_not_trained_on(
        albums, tmp_path, capsys):
    from fast_settings import FAST

    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "none",
                 *FAST]) == 0
    run_dir = out / "training"
    report = (run_dir / "evaluation-12.json").read_text()
    capsys.readouterr()
    assert main(["evaluate", str(run_dir), "--bits", "12", "--set", "backbone.size=64",
                 "--progress", "json"]) == 2
    run = events(capsys.readouterr().out)
    assert [e["event"] for e in run] == ["error"]  # no feature extracted
    assert run[0]["message"].startswith(f"{run_dir / 'heads.pt'}: its heads were trained")
    assert "size 32 -> 64" in run[0]["message"]
    assert (run_dir / "evaluation-12.json").read_text() == report  # the true report is kept
    assert main(["export", str(run_dir), "--bits", "12", "--out", str(tmp_path / "other"),
                 "--set", "backbone.flip_average=true", "--progress", "json"]) == 2
    assert "flip_average False -> True" in events(capsys.readouterr().out)[0]["message"]
    assert not (tmp_path / "other").exists()
    assert main(["evaluate", str(run_dir), "--bits", "12", "--progress", "none"]) == 0


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_a_run_folder_that_cannot_be_written_is_refused_up_front(albums, tmp_path, command):
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none"]) == 0
    done = subprocess.run([*unwritable_prefix("read-only mount", run_dir), sys.executable, "-m",
                           "trainer", command, str(run_dir), "--bits", "12", "--progress",
                           "json"], capture_output=True, text=True, timeout=120, check=False)
    run = events(done.stdout)
    assert done.returncode == 2 and [e["event"] for e in run] == ["error"], done.stderr
    assert run[0]["message"].startswith(f"{run_dir}: this run folder cannot be written to")


def test_bits_out_of_range_name_where_they_were_set(albums, tmp_path, capsys):
    """train.bits = 300 in a --config file was blamed on --bits, a flag never given."""
    config = tmp_path / "my.toml"
    config.write_text("[train]\nbits = 300\n")
    wrong = "300 bits is not a code length Lookalike makes (it makes 12- to 64-bit codes)."
    flag_hint = " Choose --bits from 12 to 64, e.g. 48."
    file_hint = " Correct it there, or override it with --bits, e.g. --bits 48."
    for extra, expected in (
            (["--config", str(config)], f"{config}: train.bits: {wrong}{file_hint}"),
            (["--set", "train.bits=300"], f"--set train.bits=300: {wrong}{flag_hint}"),
            (["--config", str(config), "--bits", "300"], f"--bits: {wrong}{flag_hint}")):
        code = main(["run", str(albums), "--out", str(tmp_path / "m"), "--progress", "json",
                     *extra])
        run = events(capsys.readouterr().out)
        assert code == 2 and [e["event"] for e in run] == ["error"]
        assert run[0]["message"] == expected


def test_remedies_name_the_command_that_was_run(albums, tmp_path, capsys):
    """Under `lookalike train` the messages said "Run `python -m trainer train RUN` first"."""
    from trainer.wording import command

    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none"],
                prog="lookalike train") == 0
    capsys.readouterr()
    assert main(["evaluate", str(run_dir), "--bits", "48", "--progress", "json"],
                prog="lookalike train") == 2
    message = events(capsys.readouterr().out)[-1]["message"]
    assert f"Run `lookalike train train {run_dir}` first" in message
    assert "python -m trainer" not in message
    assert main(["train", str(tmp_path / "nothing"), "--progress", "json"],
                prog="lookalike train") == 2
    message = events(capsys.readouterr().out)[-1]["message"]
    assert "Run `lookalike train prepare ALBUMS --out RUN_DIR` first" in message
    assert command() == "python -m trainer"  # back for the next caller
    assert main(["evaluate", str(run_dir), "--bits", "48", "--progress", "json"]) == 2
    assert f"Run `python -m trainer train {run_dir}` first" in \
        events(capsys.readouterr().out)[-1]["message"]


def test_the_stage_log_shows_the_importance_spread_as_the_summary_does(albums, tmp_path, caplog,
                                                                      monkeypatch):
    """It printed "importance spread None" and "4.2498241348169925" where the summary says n/a
    and 4.250."""
    from fast_settings import FAST

    from trainer import training

    spreads = {24: 4.2498241348169925, 16: None, 12: 0.5}  # by length (the importance's)
    monkeypatch.setattr(training, "importance_spread", lambda imp: spreads[len(imp)])
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none", *FAST]) == 0
    with caplog.at_level(logging.INFO):
        assert main(["train", str(run_dir), "--bits", "12", "--progress", "none"]) == 0
    logged = re.findall(r"stage \d+: \d+ bits, validation mAP \d\.\d{4}, importance spread "
                        r"(\S+)$", caplog.text, re.MULTILINE)
    assert logged == ["4.250", "n/a", "0.500"]


def test_a_length_no_training_makes_is_named_with_the_valid_range(albums, tmp_path, capsys):
    from fast_settings import FAST

    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none", *FAST]) == 0
    assert main(["train", str(run_dir), "--bits", "12", "--progress", "none"]) == 0
    capsys.readouterr()
    for command in (["evaluate", str(run_dir), "--bits", "5"],
                    ["export", str(run_dir), "--bits", "5", "--out", str(tmp_path / "m")]):
        assert main([*command, "--progress", "json"], prog="lookalike train") == 2
        message = events(capsys.readouterr().out)[-1]["message"]
        assert "there is no 5-bit code: code lengths are 12 to 64 bits" in message
        assert "Give --bits one of this run's lengths (12, 16, 24)" in message
        assert "Train again" not in message
    assert main(["evaluate", str(run_dir), "--bits", "48", "--progress", "json"],
                prog="lookalike train") == 2
    message = events(capsys.readouterr().out)[-1]["message"]
    assert "this run has no 48-bit head (it has 12, 16, 24)" in message
    assert f"`lookalike train train {run_dir} --bits ...`" in message


@pytest.mark.parametrize("device", ["mps", "cuda"])
def test_a_device_this_machine_lacks_is_refused_naming_the_ones_it_has(albums, tmp_path, capsys,
                                                                       monkeypatch, device):
    """--device mps ran on the CPU on Linux, and saved device = "mps" for later runs."""
    import torch

    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--device", device,
                 "--progress", "json"]) == 2
    run = events(capsys.readouterr().out)
    assert [e["event"] for e in run] == ["error"]  # before the albums are read
    assert "was asked for but" in run[0]["message"] and device.upper() in run[0]["message"]
    assert "Use --device cpu (or auto)" in run[0]["message"]
    assert not out.exists()
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none"]) == 0
    saved = (run_dir / "config.toml").read_text()
    assert main(["train", str(run_dir), "--device", device, "--progress", "none"]) == 2
    assert (run_dir / "config.toml").read_text() == saved  # not kept for later runs
    if device == "cuda":  # on a machine with MPS, the remedy names it too
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
        assert main(["run", str(albums), "--out", str(out), "--device", "cuda",
                     "--progress", "json"]) == 2
        message = events(capsys.readouterr().out)[-1]["message"]
        assert "Use --device cpu or mps (or auto)" in message


def test_plural_words_agree_with_their_counts(tmp_path, capsys):
    root = tmp_path / "albums"
    for k in range(2):
        make_photo(root / "only" / f"{k}.jpg", "chelsea", size=(80 + 8 * k, 80))
    assert main(["inspect", str(root)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "2 photos in 1 album"
    assert main(["prepare", str(root), "--out", str(tmp_path / "run"), "--progress",
                 "bar"]) == 2  # one label: refused, after the start line
    assert "2 photos, 1 label, on cpu" in capsys.readouterr().err


@pytest.mark.parametrize("prog", ["python -m trainer", "lookalike train"])
def test_no_arguments_print_the_help_with_the_commands(capsys, prog):
    assert main([], prog=prog) == 2
    captured = capsys.readouterr()
    assert "required" not in captured.err and captured.out == ""
    assert f"usage: {prog} ALBUMS --out MODEL_DIR" in captured.err
    for command in ("inspect", "prepare", "train", "evaluate", "export", "run"):
        assert re.search(rf"^\s+{command}\s+\S", captured.err, re.MULTILINE), command
