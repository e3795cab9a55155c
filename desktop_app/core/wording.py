"""Counts as the window says them: "1 photo", "12,345 photos" (never "1 photo(s)")."""

from __future__ import annotations


def count_of(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` with thousands separators and the noun agreeing with it; `nouns` for a plural
    that is not `noun` + "s"."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"
