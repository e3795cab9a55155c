"""Words shared by the trainer's messages (no torch: `inspect` and the CLI's error paths use it).

The remedies name the command the user ran: `python -m trainer` by default, `lookalike train`
when the app's CLI hands over (trainer.cli.main sets it for the length of a command)."""

from __future__ import annotations

from desktop_app.core.durations import duration

DEFAULT_COMMAND = "python -m trainer"
_command = [DEFAULT_COMMAND]


def command() -> str:
    """The command that runs the trainer, as the user typed it ("lookalike train", ...)."""
    return _command[0]


def set_command(prog: str) -> str:
    """Make `prog` the command messages name; return the one it replaces."""
    previous, _command[0] = _command[0], prog or DEFAULT_COMMAND
    return previous


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """'1 photo', '3 photos', '1 label', '2 albums', '1 copy' -> '2 copies' (given)."""
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"


def fmt3(x: float | None) -> str:
    """A number as the summaries show it: 3 decimals, or n/a where there is none."""
    return "n/a" if x is None else f"{x:.3f}"


def duration_range(low: float, typical: float, high: float) -> str:
    """'1 h 40 min to 2 h 30 min', or 'about 5 min' when both ends read the same."""
    ends = duration(low), duration(high)
    return f"about {duration(typical)}" if ends[0] == ends[1] else f"{ends[0]} to {ends[1]}"
