"""A time as a person reads it, in the units of its scale: '45 s', '12 min', '1 h 40 min', '2 h',
'1 day 3 h'. One reading for the trainer's estimate and progress and the app's retrain dialog
(the trainer may import the app's core; the app never imports the trainer)."""

from __future__ import annotations


def duration(seconds: float) -> str:
    """'1.7 h' made one count: hours and minutes are said as such."""
    if seconds < 59.5:  # 0 is nothing to do (a resumed run's reading); 0.3 s is "1 s"
        return f"{max(1, round(seconds))} s" if seconds > 0 else "0 s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(round(seconds / 3600), 24)
    return f"{days} day{'' if days == 1 else 's'}" + (f" {hours} h" if hours else "")
