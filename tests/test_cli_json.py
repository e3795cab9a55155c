"""`--json` as docs/cli.md describes it, through the real command line: every command's JSON has
exactly the documented fields with the documented types; a command that cannot run prints
nothing on stdout; a photo that cannot be read, no match and a stop read differently."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest
from cli_run import run
from tiny_model import make_tiny_model

from desktop_app import cli, paths

DOCS = (Path(__file__).parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")

ERROR = {"path": str, "message": str}
MATCH = {"photo_id": int, "path": str, "distance": int, "similarity": float}
MODEL = {"id": str, "name": str, "bits": int, "path": str}
RECORDED_MODEL = {"id": str, "name": str, "bits": int, "path": (str, None), "added_at": float,
                  "codes": int, "active": bool}
# command (as docs/cli.md heads its section) -> the shape of its JSON: a type (or a tuple of
# them, None for null), a dict of exactly these fields, or a list of one shape.
SHAPES = {
    "index": {"model": str, "library": {"folders": int, "photos": int, "indexed": int,
                                        "failed": int},
              "folders": [{"folder": str, "seconds": float, "added": int, "updated": int,
                           "moved": int, "removed": int, "unchanged": int, "failed": int,
                           "stopped": bool, "errors": [ERROR]}]},
    "similar": {"model": str, "bits": int, "library_photos": int, "stopped": bool,
                "results": [{"query": str, "in_library": bool, "encoded": bool,
                             "error": (str, None), "matches": [MATCH]}]},
    "duplicates": {"model": str, "bits": int, "max_distance": int, "groups": [[MATCH]]},
    "status": {"database": str, "folders": [{"path": str, "photos": int, "missing": bool}],
               "photos": int, "indexed": int, "failed": int, "not_encoded": int,
               "active_model": (MODEL, None),
               "active_model_replacement": ({**MODEL, "shipped": bool}, None),
               "model_dir": (str, None),
               "model_problem": (str, None), "model": (MODEL, None),
               "failures": [{"path": str, "error": str}]},
    "forget": {"forgotten": [{"folder": str, "photos": int}]},
    "models list": {"models": [RECORDED_MODEL], "photos": int, "default_model_dir": str,
                    "default_model_present": bool,
                    "not_used_yet": [{"id": str, "name": str, "bits": int, "path": str}],
                    "replaced": [{**RECORDED_MODEL, "replaced_by": str}]},
    "models import": {"imported": str, "id": str, "name": str, "bits": int, "activated": bool},
    "models activate": {"model": str, "id": str, "path": str, "activated": bool, "encoded": int,
                        "already_encoded": int, "failed": int, "errors": [ERROR]},
}


def check_shape(value, shape, where: str = "") -> None:
    if isinstance(shape, tuple):  # one of these
        errors = []
        for option in shape:
            try:
                return check_shape(value, option, where)
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(" or ".join(errors))
    if shape is None:
        assert value is None, f"{where}: {value!r} is not null"
    elif isinstance(shape, dict):
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
        assert set(value) == set(shape), f"{where}: fields {sorted(value)}, not {sorted(shape)}"
        for key, inner in shape.items():
            check_shape(value[key], inner, f"{where}.{key}")
    elif isinstance(shape, list):
        assert isinstance(value, list), f"{where}: {value!r} is not a list"
        for i, item in enumerate(value):
            check_shape(item, shape[0], f"{where}[{i}]")
    else:  # exact: a bool is no count, a count no float
        assert type(value) is shape, f"{where}: {value!r} is not a {shape.__name__}"


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


def json_of(capsys, command: str, *argv, code: int = cli.EXIT_OK):
    """Run `lookalike COMMAND ARGV... --json`: its JSON, checked to be the one document on
    stdout with the documented shape."""
    got, out, err = run(capsys, "--no-progress", *command.split(), *argv, "--json")
    assert got == code, err
    data = json.loads(out)  # the whole of stdout: one document, nothing else
    check_shape(data, SHAPES[command], command)
    return data


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
