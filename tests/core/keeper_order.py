"""The duplicates keeper's choice as the keeper tests check it."""

from __future__ import annotations

from desktop_app.core.keeper import look, rank


def kept(*paths: str) -> tuple[str, str]:
    """(the photo kept, why), the same whatever order the group comes in."""
    copies = [look(p) for p in paths]
    order, why = rank(copies)
    backwards, why_backwards = rank(copies[::-1])
    assert copies[order[0]].path == copies[::-1][backwards[0]].path and why == why_backwards
    return copies[order[0]].path, why
