"""The Unreadable photos list is sent to the window again only when what it shows changes (which
photos, their paths or reasons): it was sent again, and the list's model reset, each time a
photo in it was rewritten and stayed unreadable for the same reason (a copy still in progress,
an editor saving again). Real IndexerWorker (its jobs run on the test thread), real SQLite,
real photos and files that are not photos, the tiny real model."""

from __future__ import annotations

import os

from photos import make_photo

from desktop_app.ui.workers import IndexerWorker


def test_a_photo_rewritten_still_unreadable_for_the_same_reason_is_not_sent_again(
        qtbot, tiny_model_dir, tmp_path):
    folder = tmp_path / "photos"
    make_photo(folder / "coffee.jpg", "coffee", size=(120, 90))
    bad = folder / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not a jpeg" * 20)
    worker = IndexerWorker(str(tiny_model_dir), str(tmp_path / "library.db"))
    sent: list[list] = []
    worker.failed_changed.connect(sent.append)
    worker.open()
    try:
        worker.index_folder(str(folder))  # runs now: the worker lives on this thread
        assert [[p.path for p in failed] for failed in sent] == [[str(bad)]]
        before = sent[-1][0]

        # Written again (another time, a byte more), still unreadable for the same reason.
        bad.write_bytes(b"\xff\xd8\xff\xe0 not a jpeg" * 20 + b"!")
        os.utime(bad, (before.mtime + 5, before.mtime + 5))
        worker.index_paths([str(bad)])
        after = worker._library.photo_by_path(bad)
        assert (after.status, after.error) == ("failed", before.error)
        assert after.size != before.size  # its record did change: read again
        assert len(sent) == 1

        # Unreadable for another reason: the list says so.
        bad.write_bytes(b"")
        worker.index_paths([str(bad)])
        reason = worker._library.photo_by_path(bad).error
        assert reason != before.error
        assert len(sent) == 2 and [(p.path, p.error) for p in sent[-1]] == [(str(bad), reason)]

        # Renamed: the list shows the new name.
        moved = folder / "bad-renamed.jpg"
        os.rename(bad, moved)
        worker.index_paths([str(bad), str(moved)])
        assert len(sent) == 3 and [p.path for p in sent[-1]] == [str(moved)]
    finally:
        worker.close()
