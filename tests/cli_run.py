"""Running the real command line in the test process, as the CLI tests do: its output, its
`--json` document checked against the shapes docs/cli.md documents, and libraries made as an
update or a model export leaves them."""

from __future__ import annotations

import json

from tiny_model import make_tiny_model

from desktop_app import cli, paths


def run(capsys, *argv):
    """(exit code, stdout, stderr) of `lookalike ARGV...`."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


ERROR = {"path": str, "message": str}
# twins: the files of its picture left out of the list (a camera's RAW+JPEG pair is one photo).
MATCH = {"photo_id": int, "path": str, "distance": int, "similarity": float, "twins": [str]}
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
    "duplicates": {"model": str, "bits": int, "max_distance": int,
                   "groups": [[{**MATCH, "keep_because": (str, None)}]]},
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


def json_of(capsys, command: str, *argv, code: int = cli.EXIT_OK):
    """Run `lookalike COMMAND ARGV... --json`: its JSON, checked to be the one document on
    stdout with the documented shape."""
    got, out, err = run(capsys, "--no-progress", *command.split(), *argv, "--json")
    assert got == code, err
    data = json.loads(out)  # the whole of stdout: one document, nothing else
    check_shape(data, SHAPES[command], command)
    return data


def install(root, monkeypatch, seed: int):
    """Lookalike installed in `root`: its shipped default model, in use from now on."""
    monkeypatch.setenv("LOOKALIKE_RESOURCES", str(root / "resources"))
    return make_tiny_model(root / "resources" / "models" / "default", bits=32, seed=seed,
                           name="default")


def active_then_exported_over(capsys, album, tiny_model_dir):
    """The album indexed, the model "albums-32bit" of the models folder made active, then
    another model of that name exported into its folder (`lookalike train --out` there):
    (that folder, the id of the model active before)."""
    run(capsys, "--model", tiny_model_dir, "index", album)
    folder = make_tiny_model(paths.models_dir() / "albums-32bit", bits=32, seed=4,
                             name="albums-32bit")
    code, out, err = run(capsys, "models", "activate", "albums-32bit", "--json")
    assert code == cli.EXIT_OK, err
    make_tiny_model(folder, bits=32, seed=5, name="albums-32bit")
    return folder, json.loads(out)["id"]
