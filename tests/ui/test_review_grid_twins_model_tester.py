"""The library grid's model under Qt's own checker (QAbstractItemModelTester: row counts,
indexes, and the rows inserted, removed and changed as signalled) while RAW+JPEG pairs come,
go, fail and are renamed through the window's RowFeeder, in a few names of one card so that
files often meet: a file renamed onto the path of one removed in the same change, a JPEG
renamed over its own raw, a raw renamed into a picture. After each change every file is
found by its id and its path, as the library has it (found in review: a JPEG renamed over
its raw was no longer found by its path)."""

from __future__ import annotations

import dataclasses
import random

import pytest
from ui_helpers import checked_model

from desktop_app.core.records import Photo
from desktop_app.ui.models import PhotoIdRole
from desktop_app.ui.row_feeder import RowFeeder

PATHS = [f"/card/DCIM/{stem}.{suffix}" for stem in ("IMG_1", "img_1", "IMG_2")
         for suffix in ("CR2", "dng", "JPG", "heic")]


def changes(rng: random.Random, files: dict[int, Photo], next_id: int):
    """A change as the library sends it: the records changed or new, and the ids removed,
    one file a path after it (a path a removed or renamed file left may be taken at once)."""
    after, removed, changed = dict(files), [], {}
    for _ in range(rng.randint(1, 5)):
        free = [p for p in PATHS if p not in {f.path for f in after.values()}]
        what = rng.random()
        if what < 0.3 and after:
            photo_id = rng.choice(sorted(after))
            del after[photo_id]
            changed.pop(photo_id, None)
            removed.append(photo_id)
            continue
        if what < 0.6 and free:
            photo = Photo(next_id, rng.choice(free), 1, 100, 1.0, 60, 40, "ok", None)
        elif what < 0.85 and free and after:
            photo = dataclasses.replace(after[rng.choice(sorted(after))], path=rng.choice(free))
        elif after:
            photo = dataclasses.replace(after[rng.choice(sorted(after))], size=next_id,
                                        status=rng.choice(["ok", "failed"]))
        else:
            continue
        next_id += 1
        after[photo.id] = changed[photo.id] = photo
    return after, list(changed.values()), removed, next_id


@pytest.mark.parametrize("seed", range(3))
def test_the_grids_model_stays_sound_and_finds_every_file(qtbot, qtlog, seed):
    rng = random.Random(seed)
    model = checked_model(qtbot)
    feeder = RowFeeder(model)
    files: dict[int, Photo] = {}
    next_id = 1
    for _ in range(150):
        files, changed, removed, next_id = changes(rng, files, next_id)
        feeder.add(changed, removed)
        qtbot.waitUntil(lambda: not feeder.pending(), timeout=5000)
        assert [m.message for m in qtlog.records] == []
        rows = [model.index(r).data(PhotoIdRole) for r in range(model.rowCount())]
        assert rows == model.ids()
        for photo in files.values():
            if photo.status != "ok":
                assert model.photo(photo.id) is None
                continue
            assert model.photo(photo.id) == photo
            row = model.row_of(photo.id)
            assert row is not None and model.row_of_path(photo.path) == row, photo
            assert model.stamp_of_path(photo.path) == photo.stamp, photo
