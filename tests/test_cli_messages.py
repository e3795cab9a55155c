"""What the command line says when things go wrong: one line, the file, the cause, what to do."""

from __future__ import annotations

import json

from cli_run import run

from desktop_app import cli, paths


def test_a_bug_is_one_line_with_the_details_saved(capsys, monkeypatch):
    def broken(args):
        raise RuntimeError("something impossible")

    monkeypatch.setitem(cli.COMMAND_FUNCS, "status", broken)
    code, _, err = run(capsys, "status")
    assert code == cli.EXIT_ERROR
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert "RuntimeError: something impossible" in line and "report it" in line
    (saved,) = paths.log_dir().glob("crash-*.txt")
    assert str(saved) in line and "something impossible" in saved.read_text()


def test_a_bug_on_a_full_disk_leaves_no_empty_crash_file(capsys, monkeypatch):
    """The crash report cannot be saved on a full disk: the file is made, its write fails with
    ENOSPC (simulated here). No empty crash-*.txt may stay, and the details are printed."""
    import errno
    from pathlib import Path

    def broken(args):
        raise RuntimeError("something impossible")

    real_open = Path.open

    def full_disk_write_text(self, data, *args, **kwargs):
        real_open(self, "w").close()  # made, then nothing fits in it
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(cli.COMMAND_FUNCS, "status", broken)
    monkeypatch.setattr(Path, "write_text", full_disk_write_text)
    code, _, err = run(capsys, "status")
    assert code == cli.EXIT_ERROR
    assert list(paths.log_dir().glob("crash-*.txt")) == []
    assert "Traceback" in err and "something impossible" in err
    assert err.strip().splitlines()[-1].endswith("Please report it with the details above.")


def test_similar_on_a_library_photo_that_failed_says_so(capsys, tmp_path, photo_factory,
                                                         tiny_model_dir):
    photo_factory("a/one.jpg", "chelsea")
    broken = tmp_path / "a" / "broken.jpg"
    broken.write_bytes(b"not a photo")
    code, _, _ = run(capsys, "--model", tiny_model_dir, "index", tmp_path / "a")
    assert code == cli.EXIT_PARTIAL
    code, out, err = run(capsys, "--model", tiny_model_dir, "similar", broken)
    assert code != cli.EXIT_OK
    assert "could not be read when indexed)" in out and "not an image" in err


def test_a_database_missing_a_table_is_called_damaged_with_a_remedy(capsys, tmp_path,
                                                                     photo_factory,
                                                                     tiny_model_dir):
    import sqlite3

    photo = photo_factory("a/one.jpg", "chelsea")
    assert run(capsys, "--model", tiny_model_dir, "index", tmp_path / "a")[0] == cli.EXIT_OK
    with sqlite3.connect(paths.database_path()) as conn:
        conn.execute("DROP TABLE codes")
    for argv in (("status",), ("--model", tiny_model_dir, "similar", photo)):
        code, _, err = run(capsys, *argv)
        assert code == cli.EXIT_STORE, argv
        (line,) = err.strip().splitlines()
        assert "no such table: codes" in line and "damaged" in line, line
        assert "index your folders again" in line and str(paths.database_path()) in line


def test_similar_prints_each_error_once(capsys, tmp_path, tiny_model_dir):
    missing = tmp_path / "nowhere.jpg"
    code, out, err = run(capsys, "--model", tiny_model_dir, "similar", missing)
    assert code == cli.EXIT_USAGE
    assert (out + err).count("this file does not exist") == 1, (out, err)
    assert "does not exist" in err  # errors go to stderr, like index's


def test_similar_with_another_model_says_the_photo_is_in_the_library_but_not_encoded(
        capsys, tmp_path, photo_factory, tiny_model_dir):
    from tiny_model import make_tiny_model

    photo = photo_factory("a/one.jpg", "chelsea")
    photo_factory("a/two.jpg", "coffee")
    other = make_tiny_model(tmp_path / "other", bits=32, seed=3, name="other-32")
    assert run(capsys, "--model", tiny_model_dir, "index", tmp_path / "a")[0] == cli.EXIT_OK
    code, out, err = run(capsys, "--model", other, "similar", photo)
    assert code == cli.EXIT_OK, err
    assert "not in the library" not in out and "is the library indexed" not in out
    assert "(in the library, not encoded with other-32 yet)" in out
    assert "no photo in the library is encoded with other-32 yet" in out
    assert f"lookalike --model {other} index FOLDER" in out
    assert "lookalike models activate" in out
    code, out, _ = run(capsys, "--model", other, "similar", photo, "--json")
    (entry,) = json.loads(out)["results"]
    assert (entry["in_library"], entry["encoded"], entry["matches"]) == (True, False, [])


def test_similar_json_calls_a_library_photo_that_failed_in_the_library(capsys, tmp_path,
                                                                        photo_factory,
                                                                        tiny_model_dir):
    photo_factory("a/one.jpg", "chelsea")
    broken = tmp_path / "a" / "broken.jpg"
    broken.write_bytes(b"not a photo")
    run(capsys, "--model", tiny_model_dir, "index", tmp_path / "a")
    code, out, err = run(capsys, "--model", tiny_model_dir, "similar", broken, "--json")
    assert code == cli.EXIT_USAGE
    (entry,) = json.loads(out)["results"]
    assert (entry["in_library"], entry["encoded"]) == (True, False)
    assert "not an image" in entry["error"] and "--retry-failed" in entry["error"]
    code, out, err = run(capsys, "--model", tiny_model_dir, "similar", broken)
    assert "(in the library; could not be read when indexed)" in out
    assert "not an image" in err and "lookalike index --retry-failed" in err


def test_a_log_file_that_may_not_be_written_is_not_blamed_on_the_disk(tmp_path, capsys):
    """Only a full disk is remedied by freeing space; a rotation refused for permissions was
    told 'Free some disk space.' too."""
    import errno
    import logging
    import os

    from desktop_app.log import LogFile

    handler = LogFile(tmp_path / "lookalike.log", maxBytes=10, backupCount=1, encoding="utf-8")
    record = logging.LogRecord("desktop_app", logging.INFO, __file__, 1, "x", None, None)
    for code in (errno.EACCES, errno.ENOSPC):
        handler._said = False
        try:
            raise OSError(code, os.strerror(code))
        except OSError:
            handler.handleError(record)
    handler.close()
    refused, full = capsys.readouterr().err.strip().splitlines()
    assert "Permission denied" in refused and "disk space" not in refused, refused
    assert "No space left" in full and "Free some disk space." in full, full


def test_similar_refuses_special_files_instead_of_waiting_forever(tmp_path, photo_factory,
                                                                  tiny_model_dir,
                                                                  lookalike_home):
    """A FIFO with no writer blocked `similar` for ever; a device or a socket is no photo
    either. Each gets one line naming it; the other photos are still answered. (A process
    with a time limit: were the FIFO opened, the test would hang, not fail.)"""
    import os
    import socket
    import subprocess
    import sys

    photo = photo_factory("a/one.jpg", "chelsea")
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock.jpg"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "desktop_app", "--model", str(tiny_model_dir), "similar",
             str(fifo), "/dev/null", str(sock_path), str(photo)],
            capture_output=True, text=True, env=env, timeout=60, check=False)
    finally:
        sock.close()
    assert done.returncode == cli.EXIT_USAGE
    assert done.stderr.splitlines() == [
        f"  ! {fifo}: this is a named pipe (FIFO), not a photo file. Give a photo file.",
        "  ! /dev/null: this is a device, not a photo file. Give a photo file.",
        f"  ! {sock_path}: this is a socket, not a photo file. Give a photo file."]
    assert f"{photo}  (not in the library)" in done.stdout


def test_similar_reads_a_photo_given_on_standard_input(tmp_path, photo_factory, tiny_model_dir,
                                                       lookalike_home):
    """`similar /dev/stdin < photo.jpg` (a file) and `cat photo.jpg | similar /dev/stdin` (this
    program's own pipe, which has a writer) still work; the refusal is for other pipes."""
    import os
    import subprocess
    import sys

    photo = photo_factory("a/one.jpg", "chelsea")
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    argv = [sys.executable, "-m", "desktop_app", "--model", str(tiny_model_dir), "similar",
            "/dev/stdin", "--json"]
    with open(photo, "rb") as f:
        from_file = subprocess.run(argv, stdin=f, capture_output=True, env=env, check=False)
    from_pipe = subprocess.run(argv, input=photo.read_bytes(), capture_output=True, env=env,
                               check=False)
    for done in (from_file, from_pipe):
        assert done.returncode == cli.EXIT_OK, done.stderr
        assert json.loads(done.stdout)["results"][0]["error"] is None


def test_an_empty_path_is_called_empty(capsys, tmp_path, photo_factory, tiny_model_dir):
    """"" (an unset shell variable, say) was "this file does not exist" naming nothing, and
    for `forget` or `models import` it meant the current folder."""
    photo = photo_factory("a/one.jpg", "chelsea")
    for argv, name in ((["similar", ""], "PHOTO"), (["similar", photo, ""], "PHOTO"),
                       (["index", ""], "FOLDER"), (["forget", ""], "FOLDER"),
                       (["models", "import", ""], "DIR"), (["--model", "", "status"], "--model")):
        code, out, err = run(capsys, *argv)
        assert code == cli.EXIT_USAGE and out == ""
        assert err == (f'lookalike: an empty path ("") was given for {name}. Check the command '
                       "line (an unset shell variable?).\n")


def test_duplicates_refuses_a_distance_over_the_code_length(capsys, tmp_path, photo_factory,
                                                            tiny_model_dir):
    """Over the code's bits every photo is in one group; 10**23 was taken too."""
    photo_factory("a/one.jpg", "chelsea")
    photo_factory("a/two.jpg", "coffee")
    assert run(capsys, "--model", tiny_model_dir, "index", tmp_path / "a")[0] == cli.EXIT_OK
    for distance in (49, 10**23):
        code, out, err = run(capsys, "--model", tiny_model_dir, "duplicates",
                             "--max-distance", distance)
        assert code == cli.EXIT_USAGE and out == ""
        assert err == (f"lookalike: --max-distance {distance} is more than the 48 bits of "
                       "tiny-48's codes. Give a distance from 0 to 48.\n")
    code, out, _ = run(capsys, "--model", tiny_model_dir, "duplicates", "--max-distance", 48)
    assert code == cli.EXIT_OK and "Group 1 (2 photos)" in out
