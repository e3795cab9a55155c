"""`--json` as docs/cli.md describes it, through the real command line: every command's JSON has
exactly the documented fields with the documented types; a command that cannot run prints
nothing on stdout; a photo that cannot be read, no match and a stop read differently."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest
from cli_run import SHAPES, json_of, run
from tiny_model import make_tiny_model

from desktop_app import cli, paths

DOCS = (Path(__file__).parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")


def field_names(shape) -> set[str]:
    if isinstance(shape, dict):
        return set(shape).union(*map(field_names, shape.values()))
    if isinstance(shape, (list, tuple)):
        return set().union(*map(field_names, shape))
    return set()


def docs_section(command: str) -> str:
    """The text of `## command` in docs/cli.md (for `models ...`: the models section)."""
    heading = command.split()[0]
    return re.search(rf"^## {heading}\n(.*?)(?=^## )", DOCS, re.DOTALL | re.MULTILINE)[1]


@pytest.mark.parametrize("command", SHAPES)
def test_every_json_field_is_documented_in_its_section(command):
    section = docs_section(command)
    missing = sorted(n for n in field_names(SHAPES[command]) if f'"{n}"' not in section)
    assert not missing, f"docs/cli.md, ## {command.split()[0]}: {missing} not named"


def test_every_command_prints_the_documented_json(capsys, tmp_path, photo_factory,
                                                  tiny_model_dir):
    album = tmp_path / "album"
    photo_factory("album/chelsea.jpg", "chelsea")
    photo_factory("album/chelsea-copy.jpg", "chelsea", quality=70)
    photo_factory("album/coffee.png", "coffee")
    (album / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    make_tiny_model(paths.models_dir() / "other", bits=32, seed=1, name="other")  # not used yet

    data = json_of(capsys, "models import", tiny_model_dir)
    assert data["activated"] is False
    data = json_of(capsys, "models activate", data["name"])
    assert data["activated"] is True
    data = json_of(capsys, "index", album, code=cli.EXIT_PARTIAL)
    (folder,) = data["folders"]
    assert (folder["added"], folder["failed"], folder["errors"][0]["path"]) == (
        3, 1, str(album / "broken.jpg"))
    data = json_of(capsys, "similar", album / "chelsea.jpg", album / "broken.jpg",
                   code=cli.EXIT_USAGE)
    found, failed = data["results"]
    assert found["matches"][0]["path"] == str(album / "chelsea-copy.jpg")
    assert failed["error"] and not failed["matches"]
    data = json_of(capsys, "duplicates", "--max-distance", "48")
    assert data["groups"]
    data = json_of(capsys, "status")
    assert data["failures"][0]["path"] == str(album / "broken.jpg")
    data = json_of(capsys, "models list")
    assert [m["name"] for m in data["not_used_yet"]] == ["other"]
    assert json_of(capsys, "forget", album)["forgotten"] == [{"folder": str(album),
                                                               "photos": 4}]


@pytest.mark.parametrize("argv, code", [
    (["index", "no-such-folder"], cli.EXIT_USAGE),
    (["--model", "no-such-model", "similar", "x.jpg"], cli.EXIT_MODEL),
    (["--model", "no-such-model", "status"], cli.EXIT_MODEL),
    (["duplicates", "--max-distance", "999"], cli.EXIT_USAGE),
    (["forget", "no-such-folder"], cli.EXIT_USAGE),
    (["models", "activate", "no-such-model"], cli.EXIT_MODEL),
    (["models", "import", "no-such-model"], cli.EXIT_MODEL),
])
def test_a_command_that_cannot_run_prints_nothing_on_stdout(capsys, argv, code):
    """As docs/cli.md says: the exit code and the message on stderr tell why, not stdout."""
    got, out, err = run(capsys, *argv, "--json")
    assert (got, out) == (code, "")
    assert err.startswith("lookalike: ")


def test_similar_json_tells_no_match_from_a_photo_that_cannot_be_read(capsys, tmp_path,
                                                                      photo_factory,
                                                                      tiny_model_dir):
    photo_factory("album/chelsea.jpg", "chelsea")
    run(capsys, "--model", tiny_model_dir, "index", tmp_path / "album")
    lonely = photo_factory("elsewhere/coffee.jpg", "coffee")
    code, out, _ = run(capsys, "--model", tiny_model_dir, "similar", lonely,
                       "--max-distance", "0", "--json")
    (entry,) = json.loads(out)["results"]
    assert (code, entry["error"], entry["matches"]) == (cli.EXIT_OK, None, [])
    broken = tmp_path / "elsewhere" / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 cut short")
    code, out, err = run(capsys, "--model", tiny_model_dir, "similar", broken, "--json")
    (entry,) = json.loads(out)["results"]
    assert (code, entry["matches"]) == (cli.EXIT_USAGE, [])
    assert str(broken) in entry["error"] and entry["error"] in err


def test_similar_json_says_it_was_stopped(capsys, tmp_path, photo_factory, tiny_model_dir,
                                          monkeypatch):
    """Ctrl-C between two photos: the answers so far, "stopped": true, exit code 130."""
    photo_factory("album/chelsea.jpg", "chelsea")
    photo_factory("album/coffee.jpg", "coffee")
    run(capsys, "--model", tiny_model_dir, "index", tmp_path / "album")
    answer = cli._answer_similar

    def answer_then_ctrl_c(*args):
        answer(*args)
        signal.raise_signal(signal.SIGINT)  # as the terminal sends it, to the real handler

    monkeypatch.setattr(cli, "_answer_similar", answer_then_ctrl_c)
    code, out, _ = run(capsys, "--model", tiny_model_dir, "similar", tmp_path / "album" /
                       "chelsea.jpg", tmp_path / "album" / "coffee.jpg", "--json")
    data = json.loads(out)
    assert (code, data["stopped"], len(data["results"])) == (cli.EXIT_INTERRUPTED, True, 1)
    monkeypatch.setattr(cli, "_answer_similar", answer)
    code, out, _ = run(capsys, "--model", tiny_model_dir, "similar", tmp_path / "album" /
                       "chelsea.jpg", "--json")
    assert (code, json.loads(out)["stopped"]) == (cli.EXIT_OK, False)


def test_status_json_names_the_database_by_its_absolute_path(capsys, tmp_path, monkeypatch):
    """With LOOKALIKE_HOME relative, "database" was relative to wherever the command ran, while
    index's "folder" is made absolute."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOOKALIKE_HOME", "home")
    data = json_of(capsys, "status")
    assert data["database"] == str(tmp_path / "home" / "data" / "library.sqlite3")
    code, out, _ = run(capsys, "status")
    assert code == cli.EXIT_OK
    assert f"Library: {tmp_path / 'home' / 'data' / 'library.sqlite3'}\n" in out
