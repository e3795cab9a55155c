"""Atomic writes of the app's small files, with a symbolic link where the file goes."""

from __future__ import annotations

import json
import os
import stat

import pytest

from desktop_app.atomic_file import write_text_atomic
from desktop_app.settings import Settings


def test_a_linked_settings_file_is_written_through_and_stays_a_link(tmp_path):
    """Dotfiles managers (stow, chezmoi, yadm) link ~/.config/Lookalike/settings.json to a file
    in the user's repository: a save that renamed over the link would leave that file stale."""
    dotfiles = tmp_path / "dotfiles" / "lookalike.json"
    dotfiles.parent.mkdir()
    dotfiles.write_text(json.dumps({"watched_folders": [], "results_count": 12}))
    link = Settings.path()
    link.parent.mkdir(parents=True)
    link.symlink_to(dotfiles)
    settings = Settings.load()
    settings.add_folder(str(tmp_path / "Pictures"))
    settings.save()
    assert link.is_symlink() and os.readlink(link) == str(dotfiles)
    saved = json.loads(dotfiles.read_text(encoding="utf-8"))
    assert saved["watched_folders"] == [str(tmp_path / "Pictures")]
    assert saved["results_count"] == 12
    assert not list(link.parent.glob(".*.tmp")) and not list(dotfiles.parent.glob(".*.tmp"))


def test_a_link_to_a_file_not_there_yet_is_written_through(tmp_path):
    target = tmp_path / "elsewhere" / "state.json"  # its folder is made too
    link = tmp_path / "state.json"
    link.symlink_to(target)
    write_text_atomic(link, "{}\n")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "{}\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("linked", [False, True])
def test_the_file_written_keeps_its_permissions(tmp_path, linked):
    """mkstemp makes its file 0600, and the rename gave that to the file replaced: a 0644 file
    (or, written through a dotfiles manager's link, one shared with a group) lost its read
    access for others at the first save."""
    target = tmp_path / "dotfiles" / "settings.json"
    target.parent.mkdir()
    target.write_text("{}\n")
    target.chmod(0o664)
    path = target
    if linked:
        path = tmp_path / "settings.json"
        path.symlink_to(os.path.relpath(target, tmp_path))  # a relative link, as stow makes
    write_text_atomic(path, '{"results_count": 12}\n')
    assert target.read_text() == '{"results_count": 12}\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o664
    assert path.is_symlink() is linked
    new = tmp_path / "new.json"
    write_text_atomic(new, "{}\n")  # a new file stays private
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
