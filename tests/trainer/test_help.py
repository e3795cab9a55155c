"""--help describes every argument of every step, truly."""

from __future__ import annotations

import argparse

import pytest

from trainer.cli import SUBCOMMANDS, build_parser
from trainer.config_rules import DEVICE


def subparsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions
                  if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_argument_of_every_step_has_a_help_text(command):
    parser = subparsers()[command]
    bare = [a.dest for a in parser._actions if not a.help]
    assert bare == []  # ALBUMS, --out, RUN_DIR and --bits had none


def test_the_device_help_names_every_kind_of_device_the_setting_takes():
    helped = next(a.help for a in subparsers()["run"]._actions if a.dest == "device")
    for device in ("auto", "cpu", "cuda", "cuda:N", "mps"):
        assert device in helped
        assert DEVICE.fullmatch(device.replace(":N", ":1"))


def test_the_help_says_what_out_gets_and_that_a_stopped_run_goes_on(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "model.onnx + model.json" in text and "MODEL_DIR/training" in text
    assert "is never replaced" in text
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    assert "Ctrl-C stops a command" in " ".join(capsys.readouterr().out.split())
