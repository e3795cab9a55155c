"""`lookalike --help` and each command's --help, as a newcomer reads them in a terminal."""

from __future__ import annotations

import pytest
from cli_run import run

HELPS = ([], ["index"], ["similar"], ["duplicates"], ["status"], ["forget"], ["models"],
         ["models", "list"], ["models", "import"], ["models", "activate"], ["app"])


@pytest.mark.parametrize("argv", HELPS, ids=lambda argv: " ".join(argv) or "lookalike")
def test_every_help_fits_an_80_column_terminal(capsys, monkeypatch, argv):
    """The top-level description and the exit codes were printed as single lines of up to 263
    characters (the terminal broke them mid-word), and `models`' usage line was 90 wide."""
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, *argv, "--help")
    assert code == 0
    wide = [line for line in out.splitlines() if len(line) > 80]
    assert not wide, wide


@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize("argv", HELPS, ids=lambda argv: " ".join(argv) or "lookalike")
def test_every_usage_keeps_within_argparse_s_width(capsys, monkeypatch, argv, columns):
    """argparse wraps usage lines to the terminal's width less 2; `models`' spelled-out usage
    kept its second line 76 wide whatever the width (the terminal broke it at 60 columns)."""
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = run(capsys, *argv, "--help")
    assert code == 0
    usage = out.split("\n\n")[0].splitlines()
    assert usage[0].startswith("usage: lookalike")
    wide = [line for line in usage if len(line) > columns - 2]
    assert not wide, wide
    wide = [line for line in out.splitlines() if len(line) > columns - 1]
    assert not wide, wide


def test_models_usage_names_every_action_under_its_options(capsys, monkeypatch):
    """Wrapped, it is still the whole usage: the choices lined up under the options."""
    monkeypatch.setenv("COLUMNS", "60")
    _, out, _ = run(capsys, "models", "--help")
    usage = out.split("\n\n")[0]
    assert usage == ("usage: lookalike models [-h] [--json]\n"
                     "                        [list | import DIR [--activate] |\n"
                     "                         activate NAME|DIR]")


def test_the_top_level_help_fits_a_narrower_terminal_as_argparse_wraps_it(capsys, monkeypatch):
    """The description and the exit codes were wrapped to 79 columns whatever the terminal's
    width (argparse wraps the options to it): at 60 the terminal broke them mid-word again."""
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run(capsys, "--help")
    assert code == 0
    wide = [line for line in out.splitlines() if len(line) > 60]
    assert not wide, wide
    table = out.split("exit codes:\n")[1].splitlines()
    codes = [line.split()[0] for line in table if not line.startswith(" " * 7)]
    assert codes == ["0", "1", "2", "3", "4", "5", "6", "7", "8", "130"]


def test_the_exit_codes_stay_a_table_when_wrapped(capsys, monkeypatch):
    """A long meaning goes on under its own column, so each code still starts its own line."""
    monkeypatch.setenv("COLUMNS", "80")
    _, out, _ = run(capsys, "--help")
    table = out.split("exit codes:\n")[1].splitlines()
    codes = [line.split()[0] for line in table if not line.startswith(" " * 7)]
    assert codes == ["0", "1", "2", "3", "4", "5", "6", "7", "8", "130"]
    assert "       desktop app needs, is not installed" in table


def test_exit_code_7_also_covers_an_app_running_on_another_computer(capsys, monkeypatch):
    """The app exits 7 too when the lock of the shared config folder is held on another
    computer (single_instance's owner_host), as docs/cli.md says; the help named only the app
    that did not answer."""
    monkeypatch.setenv("COLUMNS", "80")
    _, out, _ = run(capsys, "--help")
    table = out.split("exit codes:\n")[1]
    seven = " ".join(table.split("\n    7  ")[1].split("\n    8  ")[0].split())
    assert seven == ("the desktop app already running on this library did not answer, or runs "
                     "on another computer")
