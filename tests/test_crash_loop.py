"""A photo that crashes its decoder stops `lookalike index` once: the next run says which photo
it was, records it as unreadable and indexes the rest; later runs leave it out until the file
changes. Real CLI in subprocesses, a real SIGSEGV (in the first run's decoder only, standing for
a hostile file), real photos, tiny real model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from photos import make_photo

# `lookalike ARGV...` whose decoder reads address 0 (a real SIGSEGV) when given hostile.jpg.
CRASHING_LOOKALIKE = r"""
import ctypes, sys
from desktop_app import cli
from desktop_app.core import images

load = images._load

def crashing(image, data, path, *args, **kwargs):
    if str(path).endswith("hostile.jpg"):
        ctypes.string_at(0)
    return load(image, data, path, *args, **kwargs)

images._load = crashing
sys.exit(cli.main(sys.argv[1:]))
"""


def runner(lookalike_home, crashing_script: str):
    """`lookalike(*argv, crashing=False)`: the command line in a process of its own on
    `lookalike_home` (`crashing`: run by `crashing_script`), faulthandler left to the journal."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    env["LOOKALIKE_HOME"] = str(lookalike_home)

    def lookalike(*argv, crashing=False):
        start = ["-c", crashing_script] if crashing else ["-m", "desktop_app"]
        return subprocess.run([sys.executable, *start, "--no-progress", *map(str, argv)],
                              capture_output=True, text=True, env=env, timeout=300,
                              check=False)

    return lookalike


def test_a_photo_that_crashed_the_indexer_crashes_it_once(tmp_path, photo_factory,
                                                          tiny_model_dir, lookalike_home):
    album = tmp_path / "album"
    for name, picture in (("a.jpg", "chelsea"), ("b.jpg", "coffee"), ("hostile.jpg", "rocket"),
                          ("c.png", "astronaut")):
        photo_factory(f"album/{name}", picture)
    hostile = str(album / "hostile.jpg")
    lookalike = runner(lookalike_home, CRASHING_LOOKALIKE)

    def status():
        done = lookalike("status", "--json")
        return json.loads(done.stdout)

    done = lookalike("models", "import", tiny_model_dir, "--activate")
    assert done.returncode == 0, done.stderr

    done = lookalike("index", album, crashing=True)
    assert done.returncode == -signal.SIGSEGV, done.stderr

    done = lookalike("index", album)
    assert done.returncode == 3, done.stderr  # finished; a photo could not be read
    said = [line for line in done.stderr.splitlines() if "Lookalike stopped" in line]
    assert len(said) == 1
    assert said[0].startswith(f"lookalike: {hostile}: Lookalike stopped while reading this "
                              "photo on ")
    assert "(its decoder crashed); it is left out so that it cannot stop Lookalike again" in (
        said[0])
    library = status()
    assert (library["photos"], library["indexed"], library["failed"]) == (4, 3, 1)
    assert [f["path"] for f in library["failures"]] == [hostile]
    assert library["failures"][0]["error"] == said[0].removeprefix("lookalike: ")

    # Not read again: the crashing decoder is never given it.
    done = lookalike("index", album, crashing=True)
    assert done.returncode == 0, done.stderr
    assert "Lookalike stopped" not in done.stderr
    assert status()["failures"][0]["path"] == hostile

    # Changed (here only touched), it is read again.
    st = os.stat(hostile)
    os.utime(hostile, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    done = lookalike("index", album)
    assert done.returncode == 0, done.stderr
    library = status()
    assert (library["photos"], library["indexed"], library["failed"]) == (4, 4, 0)




@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_command_stopped_with_a_signal_while_decoding_blames_no_photo(
        tmp_path, photo_factory, tiny_model_dir, lookalike_home, signame, slow_decoder_script):
    # SIGTERM: `timeout`, a service manager; SIGHUP: the terminal closed, an ssh connection
    # dropped (the photos being decoded were blamed, recorded failed, and `index` exited 3).
    signum = getattr(signal, signame)
    photo_factory("album/slow.jpg", "chelsea")
    photo_factory("album/other.jpg", "coffee")
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    done = subprocess.run([sys.executable, "-m", "desktop_app", "models", "import",
                           str(tiny_model_dir), "--activate"], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    script = slow_decoder_script("from desktop_app import cli; sys.exit(cli.main(sys.argv[1:]))")
    child = subprocess.Popen([sys.executable, "-c", script, "--no-progress", "index",
                              str(tmp_path / "album")], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "decoding\n"
        child.send_signal(signum)
        child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == -signum

    data = lookalike_home / "data"
    assert not [n for n in os.listdir(data) if n.startswith("decoding-")]
    done = subprocess.run([sys.executable, "-m", "desktop_app", "--no-progress", "index",
                           str(tmp_path / "album")], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0 and "Lookalike stopped" not in done.stderr, done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_command_run_under_nohup_outlives_sighup(
        tmp_path, photo_factory, tiny_model_dir, lookalike_home, slow_decoder_script):
    # `nohup lookalike index ...` (started with SIGHUP ignored): its terminal closed, it goes on,
    # the journal of what it decodes kept; the journal's signal handler keeps SIGHUP ignored.
    photo_factory("album/slow.jpg", "chelsea")
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    done = subprocess.run([sys.executable, "-m", "desktop_app", "models", "import",
                           str(tiny_model_dir), "--activate"], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    script = slow_decoder_script("signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup has it\n"
                                 "from desktop_app import cli; sys.exit(cli.main(sys.argv[1:]))")
    child = subprocess.Popen([sys.executable, "-c", script, "--no-progress", "index",
                              str(tmp_path / "album")], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    data = lookalike_home / "data"
    try:
        assert child.stdout.readline() == "decoding\n"
        child.send_signal(signal.SIGHUP)
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(timeout=2)
        assert [n for n in os.listdir(data) if n.startswith("decoding-")]
        child.send_signal(signal.SIGTERM)  # ended on purpose: the journal goes with it
        child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == -signal.SIGTERM
    assert not [n for n in os.listdir(data) if n.startswith("decoding-")]


# `lookalike ARGV...` whose header reader (the duplicates' keeper: Pillow here, LibRaw or
# pillow-heif for raws and HEICs) reads address 0 (a real SIGSEGV) when given hostile.jpg.
CRASHING_HEADERS = r"""
import ctypes, sys
from desktop_app import cli
from desktop_app.core import keeper

open_image = keeper.Image.open

def crashing(path, *args, **kwargs):
    # The keeper hands Pillow the file it opened (one open a header), or a path.
    if str(getattr(path, "name", path)).endswith("hostile.jpg"):
        ctypes.string_at(0)
    return open_image(path, *args, **kwargs)

keeper.Image.open = crashing
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_photo_that_crashed_duplicates_crashes_it_once(tmp_path, tiny_model_dir,
                                                         lookalike_home):
    album = tmp_path / "album"
    make_photo(album / "chelsea.jpg", "chelsea")
    make_photo(album / "hostile.jpg", "chelsea", quality=60)  # a near copy: one group
    make_photo(album / "coffee.jpg", "coffee")
    lookalike = runner(lookalike_home, CRASHING_HEADERS)

    assert lookalike("models", "import", tiny_model_dir, "--activate").returncode == 0
    assert lookalike("index", album).returncode == 0
    done = lookalike("duplicates", "--json")
    assert [sorted(m["path"] for m in g) for g in json.loads(done.stdout)["groups"]] == [
        [str(album / "chelsea.jpg"), str(album / "hostile.jpg")]], done.stdout

    done = lookalike("duplicates", crashing=True)
    assert done.returncode == -signal.SIGSEGV, done.stderr

    done = lookalike("duplicates", "--json", crashing=True)  # it was: at every run
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "Lookalike stopped" in line]
    assert len(said) == 1 and said[0].startswith(f"lookalike: {album / 'hostile.jpg'}: "), said
    assert json.loads(done.stdout)["groups"] == []  # left out until it changes
    done = lookalike("duplicates", crashing=True)
    assert done.returncode == 0 and "Lookalike stopped" not in done.stderr, done.stderr
