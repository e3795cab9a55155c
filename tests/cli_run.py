"""Running the real command line in the test process, as the CLI tests do."""

from __future__ import annotations

from desktop_app import cli


def run(capsys, *argv):
    """(exit code, stdout, stderr) of `lookalike ARGV...`."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err
