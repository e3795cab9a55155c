"""What the split of the albums means for the model and its numbers, said when they are
prepared (no torch): small albums are left out of the test, and one album much larger than
another weighs on what the model learns and on its mAP."""

from __future__ import annotations

from .albums import Manifest
from .wording import plural

UNBALANCED = 10  # largest / smallest album at which the difference is said


def album_sizes(manifest: Manifest) -> dict[str, int]:
    sizes = dict.fromkeys(manifest.labels, 0)
    for photo in manifest.photos:
        for label in photo.labels:
            sizes[manifest.labels[label]] += 1
    return sizes


def untested_albums_note(manifest: Manifest) -> str:
    """Albums with no photo kept for the test ("" if none): it takes one only from 3 photos."""
    tested = {label for p in manifest.photos if p.split == "query" for label in p.labels}
    sizes = album_sizes(manifest)
    untested = [name for i, name in enumerate(manifest.labels) if i not in tested]
    if not untested:
        return ""
    names = ", ".join(f"'{name}' ({plural(sizes[name], 'photo')})" for name in untested[:6])
    more = f" and {len(untested) - 6} more" if len(untested) > 6 else ""
    return (f"no photo of {names}{more} is kept out of training for the test, so the search "
            "quality said at the end does not cover "
            f"{'it' if len(untested) == 1 else 'them'}: an album needs 3 photos or more")


def unbalanced_note(manifest: Manifest) -> str:
    """The largest and smallest albums when one is UNBALANCED times the other ("" if not)."""
    sizes = album_sizes(manifest)
    large = max(sizes, key=sizes.get)
    small = min(sizes, key=sizes.get)
    if sizes[small] * UNBALANCED > sizes[large]:
        return ""
    return (f"album '{large}' has {plural(sizes[large], 'photo')} and '{small}' only "
            f"{sizes[small]}: training sees {sizes[large] // max(1, sizes[small])} times more "
            f"of '{large}', so it learns less of what sets '{small}' apart; adding photos to "
            "the small albums helps")
