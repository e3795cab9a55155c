"""Words shared by the trainer's messages (no torch: `inspect` and the CLI's error paths use it).

The remedies name the command the user ran: `python -m trainer` by default, `lookalike train`
when the app's CLI hands over (trainer.cli.main sets it for the length of a command)."""

from __future__ import annotations

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


def duration(seconds: float) -> str:
    """A time as a person reads it, in the units of its scale: '45 s', '12 min', '1 h 40 min',
    '2 h', '1 day 3 h' (as the app's progress says time left; '1.7 h' made one count)."""
    if seconds < 59.5:  # 0 is nothing to do (a resumed run's reading); 0.3 s is "1 s"
        return f"{max(1, round(seconds))} s" if seconds > 0 else "0 s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(round(seconds / 3600), 24)
    return plural(days, "day") + (f" {hours} h" if hours else "")


def duration_range(low: float, typical: float, high: float) -> str:
    """'1 h 40 min to 2 h 30 min', or 'about 5 min' when both ends read the same."""
    ends = duration(low), duration(high)
    return f"about {duration(typical)}" if ends[0] == ends[1] else f"{ends[0]} to {ends[1]}"
