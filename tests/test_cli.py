"""The `lookalike` command, run for real (in-process main() and one subprocess) against a real
SQLite library, the tiny ONNX model (via --model or an imported model) and real photos."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_run import run

from desktop_app import cli


@pytest.fixture
def album(tmp_path, photo_factory):
    photo_factory("album/chelsea.jpg", "chelsea")
    photo_factory("album/chelsea-copy.jpg", "chelsea", quality=70)
    photo_factory("album/astronaut.png", "astronaut")
    photo_factory("album/sub/coffee.jpg", "coffee")
    return tmp_path / "album"


def test_help_everywhere(capsys):
    for argv in ([], ["index"], ["similar"], ["duplicates"], ["status"], ["forget"], ["models"],
                 ["models", "import"], ["models", "activate"], ["models", "list"]):
        code, out, _ = run(capsys, *argv, "--help")
        assert code == 0 and "usage: lookalike" in out
    code, out, _ = run(capsys, "--help")
    assert "exit codes:" in out and "130" in out


def test_index_then_similar_inside_and_outside(capsys, album, tiny_model_dir, photo_factory):
    code, out, err = run(capsys, "--model", tiny_model_dir, "index", album)
    assert code == cli.EXIT_OK, err
    assert "4 added" in out
    code, out, _ = run(capsys, "--model", tiny_model_dir, "similar", album / "chelsea.jpg",
                       "-k", "2", "--json")
    assert code == 0
    data = json.loads(out)
    (result,) = data["results"]
    assert result["in_library"] is True
    assert Path(result["matches"][0]["path"]).name == "chelsea-copy.jpg"
    assert len(result["matches"]) == 2
    outside = photo_factory("elsewhere/q.jpg", "chelsea", quality=50)
    code, out, _ = run(capsys, "--model", tiny_model_dir, "similar", outside, album / "sub" /
                       "coffee.jpg")
    assert code == 0
    assert "(not in the library)" in out and "distance" in out
    assert out.count("  1. distance") == 2


def test_status_lists_failures_and_exit_code_3(capsys, album, tiny_model_dir):
    (album / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    code, out, err = run(capsys, "--model", tiny_model_dir, "index", album)
    assert code == cli.EXIT_PARTIAL
    assert "broken.jpg" in err
    code, out, _ = run(capsys, "status", "--json")
    data = json.loads(out)
    assert (data["photos"], data["indexed"], data["failed"]) == (5, 4, 1)
    assert data["failures"][0]["path"].endswith("broken.jpg")
    assert "damaged" in data["failures"][0]["error"]
    assert data["active_model"] is None  # --model did not become the active model
    code, out, _ = run(capsys, "status")
    assert "Photos that could not be read" in out and "broken.jpg" in out


def test_duplicates_json(capsys, album, tiny_model_dir):
    shutil.copy(album / "astronaut.png", album / "sub" / "astronaut-again.png")
    run(capsys, "--model", tiny_model_dir, "index", album)
    code, out, _ = run(capsys, "--model", tiny_model_dir, "duplicates", "--max-distance", "0",
                       "--json")
    assert code == 0
    groups = json.loads(out)["groups"]
    names = [sorted(Path(m["path"]).name for m in g) for g in groups]
    assert ["astronaut-again.png", "astronaut.png"] in names


def test_models_import_activate_and_list(capsys, album, tiny_model_dir, tmp_path):
    from tiny_model import make_tiny_model

    code, out, _ = run(capsys, "models", "import", tiny_model_dir, "--activate")
    assert code == 0 and "now the active model" in out
    run(capsys, "index", album)  # the imported, active model is used without --model
    other = make_tiny_model(tmp_path / "other", bits=32, seed=3, name="other-32")
    code, out, err = run(capsys, "--progress", "models", "activate", other, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["activated"] and data["encoded"] == 4
    assert "Encoding with other-32" in err  # --progress forces the bar on a non-terminal
    code, out, _ = run(capsys, "models", "--json")
    models = {m["name"]: m for m in json.loads(out)["models"]}
    assert models["other-32"]["active"] and not models["tiny-48"]["active"]
    assert models["tiny-48"]["codes"] == 4 and models["other-32"]["codes"] == 4
    # Switching back by name re-encodes nothing.
    code, out, _ = run(capsys, "models", "activate", "tiny-48", "--json")
    assert json.loads(out)["encoded"] == 0
    # --model for one command leaves the active model alone.
    run(capsys, "--model", other, "similar", album / "chelsea.jpg")
    code, out, _ = run(capsys, "models", "list")
    assert "* tiny-48" in out and "* other-32" not in out


def test_no_model_anywhere_gives_one_clear_message(capsys, album, tmp_path, monkeypatch):
    monkeypatch.setenv("LOOKALIKE_RESOURCES", str(tmp_path / "no-resources"))
    code, _, err = run(capsys, "index", album)
    assert code == cli.EXIT_MODEL
    assert "lookalike models import DIR" in err and err.count("\n") == 1


def test_damaged_model_is_refused(capsys, album, tiny_model_dir, tmp_path):
    bad = tmp_path / "bad-model"
    shutil.copytree(tiny_model_dir, bad)
    with open(bad / "model.onnx", "ab") as f:
        f.write(b"x")
    code, _, err = run(capsys, "--model", bad, "index", album)
    assert code == cli.EXIT_MODEL and "sha256" in err


def test_global_options_before_the_app_or_train_are_honoured_or_refused(capsys, tmp_path,
                                                                         monkeypatch):
    """`lookalike --model DIR` (the app) and `lookalike --model DIR train ...` used to drop the
    option without a word; -v now reaches the app and the trainer, the rest is refused."""
    opened, trained = [], []
    monkeypatch.setattr(cli, "run_app", lambda folder, verbose=0: opened.append((folder,
                                                                                 verbose)) or 0)
    monkeypatch.setattr(cli, "run_train", lambda argv: trained.append(argv) or 0)
    for argv in (["--model", tmp_path], ["--no-progress", tmp_path], ["--progress"]):
        code, _, err = run(capsys, *argv)
        assert code == cli.EXIT_USAGE and "not to the desktop app" in err, (argv, err)
        # The remedy fits the option: progress is not about models.
        assert ("Model tab" in err) == (argv[0] == "--model"), err
    code, _, err = run(capsys, "--bogus")
    assert code == cli.EXIT_USAGE and "--bogus" in err
    code, _, err = run(capsys, "--model", tmp_path, "train", "albums", "--out", "m")
    assert code == cli.EXIT_USAGE and "after `train`" in err
    assert opened == [] and trained == []

    assert run(capsys, "-vv", tmp_path)[0] == 0
    assert run(capsys, "-v", "train", "albums", "--out", "m")[0] == 0
    assert run(capsys, "-v", "train", "prepare", "albums")[0] == 0
    assert run(capsys, "train", "albums", "--out", "m")[0] == 0
    assert opened == [(str(tmp_path), 2)]
    assert trained == [["--verbose", "albums", "--out", "m"], ["prepare", "--verbose", "albums"],
                       ["albums", "--out", "m"]]


def test_a_global_option_after_the_command_is_refused_with_where_it_goes(capsys, album,
                                                                         tiny_model_dir):
    for argv, option in ((["index", "--no-progress", album], "--no-progress"),
                         (["status", "-v"], "-v"),
                         (["similar", album / "coffee.jpg", "--model", tiny_model_dir], "--model"),
                         (["similar", album / "coffee.jpg", f"--model={tiny_model_dir}"],
                          "--model")):
        code, _, err = run(capsys, *argv)
        assert code == cli.EXIT_USAGE, err
        assert f"{option} is one of lookalike's global options" in err, err
        assert "go before the command: `lookalike " + option in err, err
    code, _, err = run(capsys, "status", "-vvv")
    assert code == cli.EXIT_USAGE and "-vvv is one of lookalike's global options" in err
    code, _, err = run(capsys, "status", "--bogus")
    assert code == cli.EXIT_USAGE and "--bogus" in err and "global options" not in err
    # The app takes none of them, before or after: not sent from one refusal to the other.
    for option in ("--no-progress", "--model"):
        code, _, err = run(capsys, "app", option, album)
        assert code == cli.EXIT_USAGE and "`lookalike app` takes only a FOLDER or a PHOTO" in err
        assert "go before the command" not in err


def test_global_options_before_the_app_command_are_honoured_or_refused(capsys, tmp_path,
                                                                        monkeypatch):
    """`lookalike app` is the app too: -v reaches it and --model is refused, as for
    `lookalike [FOLDER]` (the `app` command dropped both without a word)."""
    opened = []
    monkeypatch.setattr(cli, "run_app", lambda folder, verbose=0: opened.append((folder,
                                                                                 verbose)) or 0)
    for argv in (["--model", tmp_path, "app"], ["--no-progress", "app", tmp_path]):
        code, _, err = run(capsys, *argv)
        assert code == cli.EXIT_USAGE and "not to the desktop app" in err, (argv, err)
    assert opened == []
    assert run(capsys, "-v", "app", tmp_path)[0] == 0
    assert run(capsys, "app")[0] == 0
    assert opened == [(str(tmp_path), 1), (None, 0)]


def test_verbose_before_train_never_breaks_a_trainer_command(monkeypatch):
    """The trainer's `inspect` takes no --verbose: `lookalike -v train inspect ALBUMS` was
    refused (exit 2, 'unrecognized arguments: --verbose'); and `lookalike -v train --help`
    showed run's help instead of the trainer's."""
    trained = []
    monkeypatch.setattr(cli, "run_train", lambda argv: trained.append(argv) or 0)
    assert cli.main(["-v", "train", "inspect", "albums", "--json"]) == 0
    assert cli.main(["-v", "train", "--help"]) == 0
    assert trained == [["inspect", "albums", "--json"], ["--help"]]
    from trainer.cli import build_parser

    build_parser("lookalike train").parse_args(trained[0])  # the trainer accepts it


def test_the_trainer_sub_commands_the_cli_knows_are_the_trainers():
    from trainer.cli import SUBCOMMANDS

    assert set(cli.TRAINER_SUBCOMMANDS) == set(SUBCOMMANDS)


def test_usage_errors(capsys, tmp_path, tiny_model_dir):
    code, _, err = run(capsys, "--model", tiny_model_dir, "index", tmp_path / "missing")
    assert code == cli.EXIT_USAGE and "does not exist" in err
    code, _, err = run(capsys, "nonsense-word")
    assert code == cli.EXIT_USAGE and "neither a command" in err
    # A folder followed by more words is still a folder: the message must not say otherwise.
    (tmp_path / "photos").mkdir()
    for extra in ("-v", str(tmp_path)):
        code, _, err = run(capsys, tmp_path / "photos", extra)
        assert code == cli.EXIT_USAGE and "neither" not in err, err
        assert "nothing after it" in err and "lookalike index FOLDER..." in err
    photo = tmp_path / "photos" / "a.jpg"
    photo.write_bytes(b"not looked at here")
    code, _, err = run(capsys, photo, "-v")
    assert code == cli.EXIT_USAGE and "nothing after it" in err
    assert "lookalike similar PHOTO..." in err
    code, _, err = run(capsys, "similar", "x.jpg", "-k", "0")
    assert code == cli.EXIT_USAGE
    code, _, err = run(capsys, "--model", tiny_model_dir, "similar", tmp_path / "nope.jpg")
    assert code == cli.EXIT_USAGE and "does not exist" in err


def test_newer_database_exit_code(capsys, tiny_model_dir, album):
    from desktop_app.core.store import SCHEMA_VERSION, Store

    with Store() as store:
        store.set_meta("schema_version", str(SCHEMA_VERSION + 5))
    code, _, err = run(capsys, "--model", tiny_model_dir, "index", album)
    assert code == cli.EXIT_STORE and "Update Lookalike" in err


def test_no_command_or_lone_folder_opens_the_app(monkeypatch, album):
    import types

    calls = []
    fake_app = types.ModuleType("desktop_app.app")
    fake_app.main = lambda folder=None, verbose=0: calls.append((folder, verbose)) or 0
    monkeypatch.setitem(sys.modules, "desktop_app.app", fake_app)
    monkeypatch.setattr("desktop_app.app", fake_app, raising=False)
    photo = album / "chelsea.jpg"
    assert cli.main([]) == 0
    assert cli.main([str(album)]) == 0
    assert cli.main(["-v"]) == 0
    assert cli.main([str(photo)]) == 0  # the app searches with it
    assert calls == [(None, 0), (str(album), 0), (None, 1), (str(photo), 0)]


def test_train_without_torch_says_how_to_install(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    code, _, err = run(capsys, "train", "albums", "--out", "x")
    assert code == cli.EXIT_MISSING_PART and "pip install" in err and "train" in err


def test_real_command_in_a_subprocess(album, tiny_model_dir, lookalike_home):
    env = {**os.environ, "LOOKALIKE_HOME": str(lookalike_home)}
    done = subprocess.run([sys.executable, "-m", "desktop_app", "--model", str(tiny_model_dir),
                           "index", str(album), "--json"], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["folders"][0]["added"] == 4
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    done = subprocess.run([sys.executable, "-m", "desktop_app", "--model", str(tiny_model_dir),
                           "similar", str(album / "chelsea.jpg"), "-k", "1"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0 and "chelsea-copy.jpg" in done.stdout


def test_models_json_before_or_after_the_action(capsys, tiny_model_dir):
    run(capsys, "models", "import", tiny_model_dir)
    for argv in (("models", "--json", "list"), ("models", "list", "--json"), ("models", "--json")):
        code, out, _ = run(capsys, *argv)
        assert code == 0 and "tiny-48" in [m["name"] for m in json.loads(out)["models"]], argv
    code, out, _ = run(capsys, "models", "list")
    assert code == 0 and not out.startswith("{") and "tiny-48" in out


def test_bad_numbers_name_the_option_and_what_it_takes(capsys):
    for argv, option in ((("similar", "x.jpg", "-k", "abc"), "-k"),
                         (("similar", "x.jpg", "-k", "0"), "-k"),
                         (("duplicates", "--max-distance", "-1"), "--max-distance")):
        code, _, err = run(capsys, *argv)
        assert code == cli.EXIT_USAGE
        assert f"argument {option}: expected a whole number" in err and "_positive" not in err


def test_similar_on_a_folder_says_to_index_it(capsys, album, tiny_model_dir):
    code, _, err = run(capsys, "--model", tiny_model_dir, "similar", album)
    assert code == cli.EXIT_USAGE
    assert "folder, not a photo" in err and "lookalike index" in err


def test_malformed_model_card_is_exit_4_not_a_traceback(capsys, album, tiny_model_dir, tmp_path):
    bad = shutil.copytree(tiny_model_dir, tmp_path / "bad-card")
    card = json.loads((bad / "model.json").read_text())
    card["input"]["size"] = 32
    (bad / "model.json").write_text(json.dumps(card))
    code, _, err = run(capsys, "--model", bad, "similar", album / "chelsea.jpg")
    assert code == cli.EXIT_MODEL
    assert "model.json" in err and "'input.size'" in err and "Traceback" not in err


def test_models_import_suggests_a_command_that_works_for_a_name_with_spaces(capsys, tmp_path):
    from tiny_model import make_tiny_model

    folder = make_tiny_model(tmp_path / "m", bits=16, seed=5, name="my holiday model")
    code, out, err = run(capsys, "models", "import", folder)
    assert code == cli.EXIT_OK, err
    suggested = out.split("`")[1]  # the command the message tells the user to run
    assert suggested == "lookalike models activate 'my holiday model'"
    code, out, err = run(capsys, *shlex.split(suggested)[1:])
    assert code == cli.EXIT_OK, err
    assert "my holiday model is now the active model" in out


def test_ctrl_c_stops_similar_after_the_current_photo(capsys, album, tiny_model_dir,
                                                      photo_factory, monkeypatch):
    import signal

    from desktop_app.core.library import PhotoLibrary

    assert run(capsys, "--model", tiny_model_dir, "index", album)[0] == cli.EXIT_OK
    queries = [photo_factory(f"outside/q{i}.jpg", "coffee", quality=50 + i) for i in range(3)]
    real = PhotoLibrary.similar_to_file
    asked = []

    def similar_to_file(self, path, **kwargs):
        asked.append(path)
        if len(asked) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C once, mid-run
        return real(self, path, **kwargs)

    monkeypatch.setattr(PhotoLibrary, "similar_to_file", similar_to_file)
    code, out, err = run(capsys, "--model", tiny_model_dir, "similar", *queries, "-k", "1")
    assert code == cli.EXIT_INTERRUPTED, err
    assert len(asked) == 1 and out.count("  1. distance") == 1  # the answer it had is shown
    assert "stopping after the current photo; the answers so far are shown" in err


def test_index_retry_failed_counts_each_photo_once(capsys, album, tiny_model_dir):
    (album / "damaged.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    os.symlink(album / "gone.jpg", album / "dangling.jpg")
    run(capsys, "--model", tiny_model_dir, "index", album)
    code, out, err = run(capsys, "--model", tiny_model_dir, "index", album, "--retry-failed",
                         "--json")
    assert code == cli.EXIT_PARTIAL, err
    (report,) = json.loads(out)["folders"]
    counted = sum(report[k] for k in ("added", "updated", "moved", "unchanged", "failed"))
    assert (counted, report["unchanged"], report["failed"]) == (6, 4, 2)
    assert sorted(Path(e["path"]).name for e in report["errors"]) == ["damaged.jpg",
                                                                       "dangling.jpg"]
    assert err.count("damaged.jpg") == 1 and err.count("dangling.jpg:") == 1


def test_models_help_shows_the_action_as_optional(capsys):
    code, out, _ = run(capsys, "models", "--help")
    assert code == 0
    usage = out.split("\n\n")[0]
    assert "[list | import DIR [--activate] | activate NAME|DIR]" in usage
    assert " ACTION" not in usage


def test_models_actions_help_shows_their_own_usage(capsys):
    """Not the `models` usage (with every action spelled out) followed by the action's own."""
    for action, usage in (("list", "lookalike models list [-h] [--json]\n"),
                          ("import", "lookalike models import [-h] [--activate] [--json] DIR\n"),
                          ("activate", "lookalike models activate [-h] [--json] NAME|DIR\n")):
        code, out, _ = run(capsys, "models", action, "--help")
        assert code == 0 and out.startswith("usage: " + usage), out


def test_counts_of_one_say_photo_not_photos(capsys, tmp_path, photo_factory, tiny_model_dir):
    photo_factory("one/only.jpg", "chelsea")
    run(capsys, "models", "import", tiny_model_dir)
    code, out, err = run(capsys, "models", "activate", "tiny-48")
    assert code == cli.EXIT_OK, err
    code, _, err = run(capsys, "index", tmp_path / "one")
    assert code == cli.EXIT_OK, err
    code, out, _ = run(capsys, "status")
    assert f"{tmp_path / 'one'}  (1 photo)" in out and "(1 photos)" not in out
    code, out, _ = run(capsys, "models", "list")
    assert "1 photo encoded" in out and "1 photos" not in out


def test_status_checks_model_and_counts_with_it(capsys, album, tiny_model_dir, tmp_path):
    from tiny_model import make_tiny_model

    run(capsys, "models", "import", tiny_model_dir, "--activate")
    run(capsys, "index", album)
    code, _, err = run(capsys, "--model", tmp_path / "no-such-model", "status")
    assert code == cli.EXIT_MODEL and "no-such-model" in err
    other = make_tiny_model(tmp_path / "other", bits=32, seed=3, name="other-32")
    code, out, err = run(capsys, "--model", other, "status", "--json")
    assert code == cli.EXIT_OK, err
    data = json.loads(out)
    assert data["model"]["name"] == "other-32" and data["indexed"] == 0
    assert data["active_model"]["name"] == "tiny-48"
    code, out, _ = run(capsys, "--model", other, "status")
    assert "0 indexed with other-32" in out and "Model for this command: other-32" in out


def test_forget_removes_a_folder_and_its_photos_but_not_the_files(capsys, album, tmp_path,
                                                                    tiny_model_dir):
    other = tmp_path / "other"
    shutil.copytree(album, other)
    run(capsys, "--model", tiny_model_dir, "index", album, other)
    code, out, err = run(capsys, "forget", other)
    assert code == cli.EXIT_OK, err
    assert f"Forgot {other} (4 photos; the files are untouched)" in out
    assert (other / "chelsea.jpg").is_file()
    code, out, _ = run(capsys, "status", "--json")
    data = json.loads(out)
    assert [f["path"] for f in data["folders"]] == [str(album)] and data["photos"] == 4
    code, _, err = run(capsys, "forget", other)
    assert code == cli.EXIT_USAGE and "not a library folder" in err and "status" in err
    code, _, err = run(capsys, "forget", album / "sub")
    assert code == cli.EXIT_USAGE and f"inside the library folder {album}" in err
    shutil.rmtree(album)  # a folder gone from the disk (a discarded drive) can be forgotten
    code, out, _ = run(capsys, "forget", album, "--json")
    assert code == cli.EXIT_OK
    assert json.loads(out) == {"forgotten": [{"folder": str(album), "photos": 4}]}


def test_a_renamed_folder_leaves_no_empty_entry_behind(capsys, album, tmp_path,
                                                       tiny_model_dir, photo_factory):
    unplugged = photo_factory("drive/holiday.jpg", "coffee").parent
    run(capsys, "--model", tiny_model_dir, "index", album, unplugged)
    renamed = album.rename(tmp_path / "album-2024")
    shutil.rmtree(unplugged)  # stands for a drive that is not plugged in
    code, out, err = run(capsys, "--model", tiny_model_dir, "index", renamed, "--json")
    assert code == cli.EXIT_OK, err
    assert json.loads(out)["folders"][0]["moved"] == 4
    code, out, _ = run(capsys, "status", "--json")
    folders = {f["path"]: f["photos"] for f in json.loads(out)["folders"]}
    # The old name is gone; the missing folder that still holds a photo is kept.
    assert folders == {str(renamed): 4, str(unplugged): 1}
