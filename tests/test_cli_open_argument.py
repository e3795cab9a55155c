"""`lookalike PHOTO` / `lookalike FOLDER` naming nothing that is there: the message says so, where
"neither a command nor a folder or photo" read as "this file is not a photo"."""

from __future__ import annotations

import os

import pytest

from desktop_app import cli


@pytest.mark.parametrize("given", ["holiday.jpg", "Pictures/2024", "~/nothing-here"])
def test_a_path_that_is_not_there_is_said_to_be_missing(capsys, tmp_path, monkeypatch, given):
    monkeypatch.chdir(tmp_path)
    assert cli.main([given]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.strip() == (f"lookalike: {os.path.abspath(given)}: there is no folder or photo "
                           "here. Check the path (is the drive connected?).")


def test_a_word_that_is_no_path_is_still_taken_for_a_mistyped_command(capsys, tmp_path,
                                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["indx"]) == cli.EXIT_USAGE
    assert "'indx' is neither a command (index, similar" in capsys.readouterr().err
