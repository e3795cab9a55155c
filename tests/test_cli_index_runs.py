"""`lookalike index` over several folders at once, run for real against a SQLite library."""

from __future__ import annotations

import shutil

from cli_run import run

from desktop_app import cli


def test_photo_moved_between_folders_of_one_run_is_a_move(capsys, tmp_path, photo_factory,
                                                          tiny_model_dir):
    a, b = tmp_path / "a", tmp_path / "b"
    photo_factory("a/one.jpg", "chelsea")
    photo_factory("b/two.jpg", "coffee")
    code, out, err = run(capsys, "--model", tiny_model_dir, "index", a, b)
    assert code == cli.EXIT_OK, err
    shutil.move(a / "one.jpg", b / "one.jpg")
    code, out, err = run(capsys, "--model", tiny_model_dir, "index", a, b)
    assert code == cli.EXIT_OK, err
    first, second = out.strip().splitlines()
    assert first.startswith(str(a)) and "0 removed" in first
    assert second.startswith(str(b)) and "1 moved" in second and "0 added" in second


def test_index_given_a_file_says_so(capsys, tmp_path, photo_factory, tiny_model_dir):
    photo = photo_factory("a/one.jpg", "chelsea")
    code, _, err = run(capsys, "--model", tiny_model_dir, "index", photo)
    assert code == cli.EXIT_USAGE
    assert "this is a file, not a folder" in err and str(photo) in err
