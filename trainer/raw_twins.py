"""A camera's RAW+JPEG pairs: one picture written twice, counted as one photo (no torch).

A camera set to RAW+JPEG writes IMG_0001.CR2 and IMG_0001.JPG side by side: other bytes, so other
content fingerprints, but the same picture. Counted as two photos, the split could put one in
training and the other among the held-out photos, and each would find the other: a held-out mAP
(and a validation mAP choosing the model) better than the model is. Twins are files of one folder
whose names differ only by their suffix (case aside), at least one a camera raw.

One of them is kept, not both in one split: the validation queries are searched among the other
validation photos, so twins both there would still find each other, and a picture shot RAW+JPEG
would weigh twice in training. The kept one is the JPEG (a file that is not a raw): the camera's
own rendering, which its raw embeds too, and quick to decode; the manifest of such an album is
then the one it had before raws were read (same photos, split and fingerprint), so run folders
made then stay valid.
"""

from __future__ import annotations

from pathlib import Path

from desktop_app.core.camera_raw import is_raw_name
from desktop_app.core.raw_twins import twin_key


def twin_groups(files: list[Path]) -> list[list[int]]:
    """Indices (into `files`) of the twins of each folder, a group per picture, in file order:
    files with the app's twin key (core/raw_twins.py: folder and name but the suffix, case and
    Unicode form aside), at least one a raw (a CR2 beside its DNG conversion is one picture
    too, for training)."""
    by_name: dict[tuple[str, str], list[int]] = {}
    for i, f in enumerate(files):
        by_name.setdefault(twin_key(f), []).append(i)
    return [group for group in by_name.values()
            if len(group) > 1 and any(is_raw_name(files[i]) for i in group)]


def counted_as(files: list[tuple[Path, str]]) -> dict[str, str]:
    """fingerprint -> the fingerprint of the photo it counts as, for the fingerprints of twins
    (`files`: the readable files with their fingerprints, in listing order; a fingerprint that
    has no twin is absent). Twins are joined through copies too: a raw whose twin JPEG is in
    one album and whose copy is in another is one photo with both labels. The photo kept is the
    first file that is not a raw, else the first."""
    leader: dict[str, str] = {}

    def find(fp: str) -> str:
        while leader.get(fp, fp) != fp:
            fp = leader[fp]
        return fp

    for group in twin_groups([f for f, _ in files]):
        first = find(files[group[0]][1])
        for i in group[1:]:
            other = find(files[i][1])
            if other != first:
                leader[other] = first
    if not leader:
        return {}
    joined = set(leader) | set(leader.values())
    members: dict[str, list[int]] = {}  # a picture's leader -> its files, in order
    for i, (_, fp) in enumerate(files):
        if fp in joined:
            members.setdefault(find(fp), []).append(i)
    out = {}
    for indices in members.values():
        kept = next((i for i in indices if not is_raw_name(files[i][0])), indices[0])
        for i in indices:
            out[files[i][1]] = files[kept][1]
    return out


def left_out_by_name(files: list[Path]) -> set[int]:
    """Indices of the twins a prepare would leave out, found by their names alone, before any
    is read (trainer estimate): all of each group but its first file that is not a raw, else
    its first. A prepare finds the same when every twin can be read and none is a copy."""
    out: set[int] = set()
    for group in twin_groups(files):
        kept = next((i for i in group if not is_raw_name(files[i])), group[0])
        out.update(i for i in group if i != kept)
    return out
