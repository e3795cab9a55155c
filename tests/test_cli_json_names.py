"""File and model names that are not plain text (bytes that are not UTF-8, a line break, a quote,
a right-to-left override, half an emoji) through the real command line: in the JSON they come
out exact (os.fsencode gives the name's bytes back) and the JSON stays one valid, printable
document; in the text output each name stays on one printable line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from cli_run import run
from tiny_model import make_tiny_model

from desktop_app import cli, paths

ODD_NAMES = (b"caf\xe9.jpg", b"new\nline.jpg", b'say "cheese".jpg', "photo\u202egpj.jpg".encode())


def shown(out: str) -> bool:
    """Every character of `out` shows as itself on a terminal (lines apart)."""
    return all(c.isprintable() or c == "\n" for c in out)


def odd_album(tmp_path, photo_factory) -> tuple[str, list[bytes]]:
    """A folder whose own name is not UTF-8, holding one photo under each odd name (copies of
    one picture) and one that cannot be read: (the folder, as Python names it; the photos'
    paths as bytes)."""
    plain = photo_factory("plain.jpg", "chelsea")
    folder = os.fsencode(tmp_path) + b"/alb\xffum"
    os.mkdir(folder)
    photos = [folder + b"/" + name for name in ODD_NAMES]
    for photo in photos:
        with open(photo, "wb") as f:
            f.write(plain.read_bytes())
    with open(folder + b"/broken\n.jpg", "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 cut short")
    return os.fsdecode(folder), photos


def test_json_gives_odd_names_back_exactly(capsys, tmp_path, photo_factory, tiny_model_dir):
    folder, photos = odd_album(tmp_path, photo_factory)
    broken = os.fsencode(folder) + b"/broken\n.jpg"
    model = ("--model", tiny_model_dir)
    code, out, err = run(capsys, *model, "index", folder, "--json")
    assert code == 3, err
    (report,) = json.loads(out)["folders"]
    assert os.fsencode(report["folder"]) == os.fsencode(folder)
    assert [os.fsencode(e["path"]) for e in report["errors"]] == [broken]
    assert shown(out)  # no raw right-to-left override, line break or lone surrogate
    for query in photos:
        code, out, err = run(capsys, *model, "similar", os.fsdecode(query), "--json")
        assert code == 0, err
        assert shown(out)
        (result,) = json.loads(out)["results"]
        assert os.fsencode(result["query"]) == query
        assert sorted(os.fsencode(m["path"]) for m in result["matches"] if m["distance"] == 0) \
            == sorted(p for p in photos if p != query)
    code, out, _ = run(capsys, *model, "duplicates", "--max-distance", "0", "--json")
    (group,) = json.loads(out)["groups"]
    assert sorted(os.fsencode(m["path"]) for m in group) == sorted(photos)
    code, out, _ = run(capsys, *model, "status", "--json")
    data = json.loads(out)
    assert [os.fsencode(f["path"]) for f in data["folders"]] == [os.fsencode(folder)]
    assert [os.fsencode(f["path"]) for f in data["failures"]] == [broken]
    assert shown(out)
    code, out, _ = run(capsys, "forget", folder, "--json")
    assert [os.fsencode(f["folder"]) for f in json.loads(out)["forgotten"]] == [
        os.fsencode(folder)]


def test_text_output_shows_each_odd_name_on_one_printable_line(capsys, tmp_path, photo_factory,
                                                               tiny_model_dir):
    folder, photos = odd_album(tmp_path, photo_factory)
    model = ("--model", tiny_model_dir)
    run(capsys, *model, "index", folder)
    code, out, _ = run(capsys, *model, "similar", os.fsdecode(photos[1]), "-k", "3")
    assert code == 0 and shown(out)
    query, *matches = out.splitlines()
    assert query == f"{tmp_path}/alb\\xffum/new\\x0aline.jpg"
    assert sorted(line.split("  ")[-1] for line in matches) == sorted(
        f"{tmp_path}/alb\\xffum/{name}"
        for name in ("caf\\xe9.jpg", 'say "cheese".jpg', "photo\\u202egpj.jpg"))
    code, out, _ = run(capsys, *model, "status")
    assert shown(out)
    assert f"  {tmp_path}/alb\\xffum/broken\\x0a.jpg: " in out


def test_a_model_name_with_half_an_emoji_is_refused_not_half_printed(capsys):
    """A card's name may hold a lone surrogate ("\\ud83d" in its JSON): `models list` printed
    half a JSON document, then failed, as did its text. Such a card is refused as damaged, so
    it is left out of the list, as other damaged cards are, and said when it is chosen."""
    folder = make_tiny_model(paths.models_dir() / "odd", bits=32, name="cat \ud83d")
    code, out, err = run(capsys, "models", "list", "--json")
    assert code == 0, err
    assert json.loads(out)["not_used_yet"] == []
    code, out, err = run(capsys, "models", "list")
    assert code == 0, err
    assert shown(out)
    code, out, err = run(capsys, "models", "activate", str(folder))
    assert code == cli.EXIT_MODEL and out == ""
    assert "not valid Unicode (a lone surrogate escape, \\ud83d)" in err and shown(err)


def test_json_through_a_stdout_that_is_not_utf8(tmp_path, photo_factory, tiny_model_dir):
    """A pipe on Windows writes in the ANSI code page: the JSON is then pure ASCII (\\uXXXX)."""
    photo_factory("写真/cat.jpg", "chelsea")
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    done = subprocess.run([sys.executable, "-m", "desktop_app", "--no-progress", "--model",
                           str(tiny_model_dir), "index", str(tmp_path / "写真"), "--json"],
                          capture_output=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.isascii()
    (report,) = json.loads(done.stdout)["folders"]
    assert report["folder"] == str(tmp_path / "写真")


def test_text_through_a_stdout_that_is_not_utf8(tmp_path, photo_factory, tiny_model_dir):
    """The text output of a name its encoding cannot hold (写真 through cp1252) crashed with
    UnicodeEncodeError, as "a bug"; it is written as \\uXXXX escapes."""
    photo_factory("写真/cat.jpg", "chelsea")
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    command = [sys.executable, "-m", "desktop_app", "--no-progress", "--model",
               str(tiny_model_dir)]
    done = subprocess.run([*command, "index", str(tmp_path / "写真")], capture_output=True,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert f"{tmp_path}/\\u5199\\u771f: " in done.stdout.decode("cp1252")
    done = subprocess.run([*command, "status"], capture_output=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert f"  {tmp_path}/\\u5199\\u771f  (1 photo" in done.stdout.decode("cp1252")


def test_importing_a_model_with_a_line_break_in_its_name(capsys, tmp_path):
    """Its name is shown escaped, on one line, and the command offered to activate it names its
    id: the name as shown (`\\x0a`) is not its name, so could not be typed back."""
    folder = make_tiny_model(tmp_path / "model", bits=32, name="cat\nnight")
    code, out, err = run(capsys, "models", "import", folder)
    assert code == 0, err
    model_id = json.loads((folder / "model.json").read_text())["onnx_sha256"]
    assert out.startswith("Imported cat\\x0anight (32 bits)") and shown(out)
    assert out.count("\n") == 1
    assert out.endswith(f"`lookalike models activate {model_id[:12]}`.\n")
    code, out, err = run(capsys, "models", "activate", model_id[:12], "--json")
    assert (code, json.loads(out)["model"]) == (0, "cat\nnight")


def test_a_model_problem_naming_an_odd_name_is_shown_escaped(capsys, tmp_path):
    """The active model 'cat<ESC>night' gone from its folder: `status` escapes its name in the
    line saying so, as elsewhere; a command that cannot run for a model folder named with a line
    break says so on one line of stderr."""
    folder = make_tiny_model(tmp_path / "model", bits=32, name="cat\x1bnight")
    code, out, err = run(capsys, "models", "import", folder, "--activate", "--json")
    assert code == 0, err
    shutil.rmtree(json.loads(out)["path"])
    code, out, err = run(capsys, "status")
    assert code == 0, err
    assert "the active model 'cat\\x1bnight' is no longer in its folder" in out and shown(out)
    odd = tmp_path / "new\nline"
    odd.mkdir()
    code, out, err = run(capsys, "--model", odd, "index", tmp_path / "none")
    assert code == cli.EXIT_MODEL and out == ""
    assert err == f"lookalike: {tmp_path}/new\\x0aline: this folder has no model.json model " \
        "card. Choose a folder made by `lookalike train` or `python -m trainer export`.\n"
