"""IndexReport.summary: the command line lists all six counts; the window's brief form only
those that are not 0, with thousands separators."""

from __future__ import annotations

from desktop_app.core.records import IndexReport


def test_the_brief_summary_leaves_out_the_counts_of_0():
    report = IndexReport(added=12345, failed=2)
    assert report.summary() == "12345 added, 0 updated, 0 moved, 0 removed, 0 unchanged, 2 failed"
    assert report.summary(brief=True) == "12,345 added, 2 failed"
    assert IndexReport().summary(brief=True) == "nothing changed"
    stopped = IndexReport(unchanged=3, stopped=True)
    assert stopped.summary("paused", brief=True) == "3 unchanged (paused)"


def test_a_run_stopped_before_any_photo_was_checked_does_not_say_nothing_changed():
    # Paused during the walk of a folder of new photos: "nothing changed (paused: ...)" said
    # the folder was checked and found as it was.
    paused = IndexReport(stopped=True)
    assert paused.summary("paused: Resume indexing continues it", brief=True) == (
        "no photo checked yet (paused: Resume indexing continues it)")
