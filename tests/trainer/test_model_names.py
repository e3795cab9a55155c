"""Every retrain of the same albums used to be called `<albums>-<bits>bit`: the Model tab and
`lookalike models list` showed several models of one name, and `models activate NAME` refused
it as ambiguous. A new model's name is now one no other model of the library has; running again
into the same folder keeps the name its model has; a name given with --name is kept."""

from __future__ import annotations

import logging

from fast_settings import FAST

from desktop_app import paths
from desktop_app.core.model_card import read_card
from desktop_app.core.model_registry import find_model
from desktop_app.core.store import Store
from trainer.cli import main


def run(albums, out, *extra) -> list[str]:
    return ["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "none", *FAST,
            *extra]


def test_retraining_the_same_albums_gives_each_model_a_name_of_its_own(albums, capsys, caplog):
    # As the retrain dialog does: each run in a folder of its own in the app's models folder.
    first, second = paths.models_dir() / "trained-1", paths.models_dir() / "trained-2"
    assert main(run(albums, first)) == 0
    assert main(run(albums, second), prog="lookalike train") == 0
    assert read_card(first).name == "albums-12bit"
    assert read_card(second).name == "albums-12bit (2)"
    assert "has a model called 'albums-12bit' already" in capsys.readouterr().err
    with Store() as store:  # what `lookalike models activate NAME` finds: one model each
        assert find_model(store, "albums-12bit") == first
        assert find_model(store, "albums-12bit (2)") == second

    # Running again into the same folder replaces its model: no clash, no "(3)".
    assert main(run(albums, second)) == 0
    assert read_card(second).name == "albums-12bit (2)"
    # A name given is kept as it is, even one another model has (a warning says so).
    caplog.set_level(logging.WARNING)
    assert main(run(albums, second, "--name", "albums-12bit")) == 0
    assert read_card(second).name == "albums-12bit"
    assert "another model of this library is called 'albums-12bit' too" in caplog.text


def test_a_model_the_library_has_used_elsewhere_counts_too(albums, tmp_path, tiny_model_dir):
    """`lookalike train ALBUMS --out DIR` outside the models folder, after the library used a
    model of that name (recorded in its database, its folder anywhere)."""
    card = read_card(tiny_model_dir)
    with Store() as store:
        store.register_model("0" * 64, "Albums-12bit", 12, str(tmp_path / "elsewhere"),
                             card.to_json())
    assert main(run(albums, tmp_path / "mine"), prog="lookalike train") == 0
    assert read_card(tmp_path / "mine").name == "albums-12bit (2)"  # names match in any case


def test_a_name_given_in_bytes_that_are_not_utf8_becomes_text(tmp_path):
    """`--name` from a Latin-1 command line holds a lone surrogate, which the app refuses in a
    card (the export's own check loads it): its bytes are written as \\xNN instead."""
    from trainer.pipeline import model_name

    assert model_name("/albums", 12, tmp_path / "m", "Caf\udce9") == "Caf\\xe9"
    assert model_name("/albums", 12, tmp_path / "m", "Café ☕") == "Café ☕"  # text as given


def test_a_name_the_card_would_refuse_is_refused_before_the_run(albums, tmp_path, capsys):
    """It trained for the whole run, then failed at export with the staging folder named."""
    for bad in ("..", "   ", "x" * 301):
        try:
            main(run(albums, tmp_path / "m", "--name", bad))
        except SystemExit as exc:
            assert exc.code == 2
        else:
            raise AssertionError(f"--name {bad[:10]!r} was taken")
        assert "is not a model name: give a name of 1 to 300 characters" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()  # refused before anything was read or written


def test_the_name_of_a_long_albums_folder_that_is_not_utf8_fits_a_card(tmp_path):
    """255 bytes that are not UTF-8 show as 1,020 characters: the card refused the name."""
    from desktop_app.core.model_card import MAX_NAME_CHARS, name_problem
    from trainer.pipeline import model_name

    name = model_name("/albums/" + "\udce9" * 255, 48, tmp_path / "m", None)
    assert len(name) <= MAX_NAME_CHARS - 8 and name.endswith("-48bit")
    assert name.startswith("\\xe9\\xe9") and name_problem(name) is None


def test_a_name_too_long_for_its_lengths_is_refused_before_the_run(albums, tmp_path, capsys):
    """With several --bits each model is NAME-<bits>bit: 296 characters passed the check of
    NAME, trained the whole run, then failed at export naming a temporary model.json."""
    out = tmp_path / "m"
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "16", "--progress",
                 "none", *FAST, "--name", "x" * 296]) == 2
    err = capsys.readouterr().err
    assert "each model is called NAME-<bits>bit" in err and "-12bit" in err
    assert not (out / "training" / "manifest.json").exists()  # nothing read
