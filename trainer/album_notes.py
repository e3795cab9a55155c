"""What the split of the albums means for the model and its numbers, said when they are
prepared (no torch): small albums are left out of the test, one album much larger than
another weighs on what the model learns and on its mAP, and two albums of one name to the eye
are two labels."""

from __future__ import annotations

import unicodedata

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


def similar_names_note(manifest: Manifest) -> str:
    """Albums whose names differ only in case or in how their accents are written ("" if
    none): 'Café' from a Mac (e + a combining accent, NFD) beside a 'Café' made elsewhere (NFC)
    looks like one album, yet is two labels whose photos the model learns to set apart."""
    groups: dict[str, list[str]] = {}
    for name in manifest.labels:
        # lower(), not casefold(): that makes 'Straße' 'strasse', which differs in spelling
        groups.setdefault(unicodedata.normalize("NFC", name).lower(), []).append(name)
    notes = []
    for names in (names for names in groups.values() if len(names) > 1):
        same_case = len({unicodedata.normalize("NFC", n) for n in names}) == 1
        how = ("are one name in two Unicode forms" if same_case else
               "differ only in upper and lower case" if all(
                   unicodedata.is_normalized("NFC", n) for n in names) else
               "differ only in case and in how their accents are written")
        shown = " and ".join(f"'{n}'" + ("" if unicodedata.is_normalized("NFC", n) else
                                         " (accents written apart, as macOS writes names)")
                             for n in names)
        notes.append(f"albums {shown} {how}")
    if not notes:
        return ""
    return (f"{'; '.join(notes)}: each is a label of its own, so the model learns to set their "
            "photos apart; if they are one subject, move the photos of one into the other (in "
            f"{manifest.root})")
