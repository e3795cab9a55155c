"""Under torchrun, `inspect` and `estimate` answer once: rank 0 looks (and measures), the
other ranks end at once with status 0 and say nothing (each printed its own copy of the counts).
torchrun's environment is enough to decide it: no process group is joined for these."""

from __future__ import annotations

import json

import pytest
from fast_settings import FAST

from trainer.cli import main


def as_rank(monkeypatch, rank: int) -> None:
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")  # torchrun's own mark
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("LOCAL_RANK", str(rank))


@pytest.mark.parametrize("args", [[], ["--json"], ["--progress", "json"]])
def test_inspect_answers_on_rank_0_only(albums, monkeypatch, capsys, args):
    as_rank(monkeypatch, 1)
    assert main(["inspect", str(albums), *args]) == 0
    assert capsys.readouterr() == ("", "")
    as_rank(monkeypatch, 0)
    assert main(["inspect", str(albums), *args]) == 0
    assert "15" in capsys.readouterr().out


def test_estimate_measures_on_rank_0_only(albums, monkeypatch, capsys):
    as_rank(monkeypatch, 1)
    assert main(["estimate", str(albums), "--bits", "12", *FAST]) == 0
    assert capsys.readouterr() == ("", "")


def test_ranks_without_torchruns_mark_are_no_ranks(albums, monkeypatch, capsys):
    as_rank(monkeypatch, 1)
    monkeypatch.delenv("TORCHELASTIC_RUN_ID")  # a SLURM script's RANK: this process answers
    assert main(["inspect", str(albums), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["photos"] == 15
