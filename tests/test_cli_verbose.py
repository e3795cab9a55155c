"""-v and -vv as `lookalike --help` promises them: the stages of the work (-v) and each photo's
outcome (-vv) on stderr, through the logging setup; nothing of it without -v, and stdout's
--json left pure."""

from __future__ import annotations

import json
import os
import shutil

from cli_run import run
from photos import make_photo
from tiny_model import make_tiny_model

from desktop_app import cli, paths


def _log_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(("INFO: ", "DEBUG: "))]


def _album(tmp_path):
    album = tmp_path / "album"
    make_photo(album / "cat.jpg", "chelsea")
    make_photo(album / "coffee.jpg", "coffee")
    make_photo(album / "sub" / "rocket.jpg", "rocket")
    (album / "notes.jpg").write_text("not a photo")
    return album


def test_index_v_says_the_stages_and_vv_each_photo(capsys, tmp_path, tiny_model_dir):
    album = _album(tmp_path)
    code, out, err = run(capsys, "--model", tiny_model_dir, "-v", "index", "--json", album)
    assert code == cli.EXIT_PARTIAL, err  # notes.jpg cannot be read
    json.loads(out)  # stdout holds the JSON document alone
    lines = _log_lines(err)
    text = "\n".join(lines)
    assert "journal mode wal" in text and "library " in text
    assert "model tiny-48 (id " in text and "48 bits" in text and "CPUExecutionProvider" in text
    assert f"INFO: {album}: walking the folder" in lines
    assert any(line.startswith(f"INFO: {album}: walked in ") and "4 photo files" in line
               for line in lines)
    assert any(line.startswith(f"INFO: {album}: 4 photo files, 0 unchanged (not read); read 4 ")
               and "3 of them decoded and encoded" in line and "3 added" in line
               and "1 failed" in line for line in lines)
    assert any(line.startswith(f"INFO: {album}: swept 0 records") for line in lines)
    assert not [line for line in lines if line.startswith("DEBUG: ")]  # -v: no photo's own line

    shutil.move(album / "sub" / "rocket.jpg", album / "rocket.jpg")  # moved
    (album / "coffee.jpg").unlink()  # removed
    make_photo(album / "cat.jpg", "astronaut")  # other content: updated
    code, out, err = run(capsys, "--model", tiny_model_dir, "-vv", "index", "--json", album)
    assert code == cli.EXIT_OK, err  # notes.jpg's failure is old news
    json.loads(out)
    lines = _log_lines(err)
    assert any(line.startswith(f"DEBUG: updated {album / 'cat.jpg'} (size changed from ")
               for line in lines), err
    assert (f"DEBUG: moved {album / 'rocket.jpg'}: from {album / 'sub' / 'rocket.jpg'}, its "
            "codes kept") in lines
    assert f"DEBUG: removed {album / 'coffee.jpg'}: gone from the disk" in lines
    # notes.jpg failed before and has not changed: skipped, counted, not a line of its own
    assert not any("notes.jpg" in line for line in lines if line.startswith("DEBUG: "))
    assert any(line.startswith(f"INFO: {album}: 3 photo files, 1 unchanged (not read)")
               for line in lines)
    assert any(line.startswith(f"INFO: {album}: swept 1 record of photos ")
               and "1 moved, 1 removed" in line for line in lines), err


def test_vv_says_why_a_photo_failed(capsys, tmp_path, tiny_model_dir):
    album = _album(tmp_path)
    code, _, err = run(capsys, "--model", tiny_model_dir, "-vv", "index", album)
    assert code == cli.EXIT_PARTIAL
    assert any(line.startswith(f"DEBUG: failed {album / 'notes.jpg'} (new): {album / 'notes.jpg'}"
                               ": this is a text file") for line in _log_lines(err)), err
    assert f"DEBUG: added {album / 'sub' / 'rocket.jpg'} (new): encoded" in _log_lines(err)


def test_without_v_no_log_line_is_written(capsys, tmp_path, tiny_model_dir):
    album = _album(tmp_path)
    code, _, err = run(capsys, "--model", tiny_model_dir, "index", album)
    assert code == cli.EXIT_PARTIAL
    assert _log_lines(err) == [] and "notes.jpg" in err  # the failure is said, as always
    code, _, err = run(capsys, "--model", tiny_model_dir, "similar", album / "cat.jpg")
    assert code == cli.EXIT_OK and _log_lines(err) == []
    code, _, err = run(capsys, "--model", tiny_model_dir, "duplicates")
    assert code == cli.EXIT_OK and _log_lines(err) == []
    code, _, err = run(capsys, "status")
    assert code == cli.EXIT_OK and err == ""


def test_similar_and_duplicates_say_the_search(capsys, tmp_path, tiny_model_dir):
    album = _album(tmp_path)
    run(capsys, "--model", tiny_model_dir, "index", album)
    outside = make_photo(tmp_path / "elsewhere" / "cat.jpg", "chelsea")
    code, out, err = run(capsys, "--model", tiny_model_dir, "-vv", "similar", "--json",
                         album / "cat.jpg", outside)
    assert code == cli.EXIT_OK, err
    json.loads(out)
    lines = _log_lines(err)
    assert "DEBUG: search index: 3 codes of tiny-48 (48 bits) read in" in err
    assert any(line.startswith(f"INFO: {album / 'cat.jpg'}: searched 3 codes in ")
               and line.endswith(": 2 matches") for line in lines), err
    assert any(line.startswith(f"INFO: {outside}: read and encoded in ") for line in lines)
    assert any(line.startswith(f"DEBUG: {outside}: distances 0 to ") and "(of 48 bits)" in line
               for line in lines), err

    code, out, err = run(capsys, "--model", tiny_model_dir, "-v", "duplicates", "--json")
    assert code == cli.EXIT_OK, err
    json.loads(out)
    assert any(line.startswith("INFO: duplicates: 3 codes compared within 6 bits in ")
               for line in _log_lines(err)), err


def test_status_v_names_the_library_file(capsys, tmp_path, tiny_model_dir, lookalike_home):
    run(capsys, "--model", tiny_model_dir, "index", _album(tmp_path))
    code, out, err = run(capsys, "-v", "status", "--json")
    assert code == cli.EXIT_OK
    database = json.loads(out)["database"]
    assert _log_lines(err) == [f"INFO: library {database} opened read-only, journal mode wal"]


def test_odd_names_stay_on_one_log_line(capsys, tmp_path, tiny_model_dir):
    """A name that is not UTF-8, or holds a line break or a terminal's escape, is written as
    the command line shows paths: escaped, one line per record."""
    album = tmp_path / "album"
    album.mkdir()
    odd = os.fsdecode(os.fsencode(album) + b"/caf\xe9\n\x1b[2Jx.jpg")
    make_photo(album / "plain.jpg", "chelsea")
    make_photo(odd, "coffee")
    code, _, err = run(capsys, "--model", tiny_model_dir, "-vv", "index", album)
    assert code == cli.EXIT_OK, err
    assert f"DEBUG: added {album}/caf\\xe9\\x0a\\x1b[2Jx.jpg (new): encoded" in err.splitlines()
    assert "\x1b" not in err


def test_vv_leaves_out_pillows_own_debug_lines(capsys, tmp_path, tiny_model_dir):
    album = tmp_path / "album"
    make_photo(album / "cat.png", "chelsea", fmt="PNG")
    code, _, err = run(capsys, "--model", tiny_model_dir, "-vv", "index", album)
    assert code == cli.EXIT_OK, err
    assert f"DEBUG: added {album / 'cat.png'} (new): encoded" in err.splitlines()
    assert "STREAM" not in err


def test_duplicates_vv_says_which_photo_is_kept(capsys, tmp_path, tiny_model_dir):
    album = tmp_path / "album"
    make_photo(album / "cat.jpg", "chelsea")
    shutil.copy(album / "cat.jpg", album / "cat copy.jpg")
    run(capsys, "--model", tiny_model_dir, "index", album)
    code, _, err = run(capsys, "--model", tiny_model_dir, "-vv", "duplicates")
    assert code == cli.EXIT_OK, err
    lines = _log_lines(err)
    assert "DEBUG: duplicates: 1 distinct code of 2 photos, 0 pairs of them within 6 bits" \
        in lines, err
    assert any(line.startswith(f"DEBUG: keeping {album / 'cat.jpg'} of 2 photos: ")
               for line in lines), err
    assert any(line.startswith("INFO: duplicates: 2 codes compared within 6 bits in ")
               and line.endswith(": 1 group of 2 photos") for line in lines), err


def test_counts_of_one_are_said_in_the_singular(capsys, tmp_path, tiny_model_dir):
    album = tmp_path / "album"
    make_photo(album / "cat.jpg", "chelsea")
    make_photo(album / "coffee.jpg", "coffee")
    code, _, err = run(capsys, "--model", tiny_model_dir, "-v", "index", album)
    assert code == cli.EXIT_OK, err
    (album / "coffee.jpg").unlink()
    code, _, err = run(capsys, "--model", tiny_model_dir, "-v", "index", album)
    assert code == cli.EXIT_OK, err
    lines = _log_lines(err)
    assert any(line.startswith(f"INFO: {album}: walked in ") and ": 1 photo file, 0 folders "
               "not fully listed, 0 links passed by" in line for line in lines), err
    assert any(line.startswith(f"INFO: {album}: 1 photo file, 1 unchanged") for line in lines)
    assert any(line.startswith(f"INFO: {album}: swept 1 record of photos ") for line in lines)
    code, _, err = run(capsys, "--model", tiny_model_dir, "-v", "similar", album / "cat.jpg",
                       "--max-distance", "48")
    assert code == cli.EXIT_OK, err
    assert any(line.startswith(f"INFO: {album / 'cat.jpg'}: searched 1 code in ")
               and line.endswith(": 0 matches") for line in _log_lines(err)), err


def test_models_activate_v_says_what_it_encoded(capsys, tmp_path, tiny_model_dir):
    album = _album(tmp_path)
    assert run(capsys, "--model", tiny_model_dir, "index", album)[0] == cli.EXIT_PARTIAL
    make_tiny_model(paths.models_dir() / "albums-32bit", bits=32, seed=4, name="albums-32bit")
    code, out, err = run(capsys, "-v", "models", "activate", "albums-32bit", "--json")
    assert code == cli.EXIT_OK, err
    json.loads(out)
    assert any(line.startswith("INFO: albums-32bit: encoded 3 of 3 photos without its codes in ")
               and line.endswith("; 0 had them already, 0 failed in all")
               for line in _log_lines(err)), err


def test_the_sweep_names_the_folder_as_the_other_lines_do(capsys, tmp_path, tiny_model_dir,
                                                          monkeypatch):
    album = _album(tmp_path)
    monkeypatch.chdir(album)
    code, _, err = run(capsys, "--model", tiny_model_dir, "-v", "index", ".")
    assert code == cli.EXIT_PARTIAL, err
    lines = _log_lines(err)
    assert f"INFO: {album}: walking the folder" in lines
    assert any(line.startswith(f"INFO: {album}: swept 0 records of photos ") for line in lines)
    assert not any(line.startswith("INFO: .:") for line in lines), err
