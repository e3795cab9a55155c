"""Model folders: an unknown card version, a wrong hash or a failing probe is refused with a
clear message, and the library's active model and codes are left untouched."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from desktop_app import cli
from desktop_app.core.encoder import load_encoder
from desktop_app.core.errors import ModelError
from desktop_app.core.store import Store


@pytest.fixture
def model_copy(tmp_path, tiny_model_dir):
    return shutil.copytree(tiny_model_dir, tmp_path / "model-copy")


def edit_card(folder, **changes):
    card = json.loads((folder / "model.json").read_text())
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            card[section][field] = value
        else:
            card[section] = value
    (folder / "model.json").write_text(json.dumps(card))


def test_unknown_card_version_is_refused(model_copy):
    edit_card(model_copy, format_version=99)
    with pytest.raises(ModelError, match="format_version 99.*Update Lookalike"):
        load_encoder(model_copy)


def test_wrong_hash_is_refused(model_copy):
    edit_card(model_copy, onnx_sha256="0" * 64)
    with pytest.raises(ModelError, match="does not match the sha256"):
        load_encoder(model_copy)


def test_failing_probe_is_refused(model_copy):
    card = json.loads((model_copy / "model.json").read_text())
    codes = card["probe"]["expected_codes_hex"]
    flipped = [bytes(b ^ 0xFF for b in bytes.fromhex(c)).hex() for c in codes]
    edit_card(model_copy, probe__expected_codes_hex=flipped)
    with pytest.raises(ModelError, match="fails its self-test"):
        load_encoder(model_copy)


def test_missing_card_is_refused(model_copy):
    (model_copy / "model.json").unlink()
    with pytest.raises(ModelError, match="no model.json"):
        load_encoder(model_copy)


def test_a_file_given_as_model_folder_is_named_as_a_file(model_copy):
    """The common slip: giving model.onnx itself; "does not exist" would be untrue."""
    with pytest.raises(ModelError) as err:
        load_encoder(model_copy / "model.onnx")
    assert "is a file, not a model folder" in str(err.value)
    assert "does not exist" not in str(err.value)
    assert "holds model.onnx and model.json" in str(err.value)


def test_importing_again_repairs_a_damaged_imported_copy(tmp_path, tiny_model_dir):
    """The message about a damaged copy says "copy the whole model folder again": importing
    the good folder again must then work, not fail on the damaged copy it would replace."""
    from desktop_app.core.encoder import open_model_folder
    from desktop_app.core.model_registry import import_model

    copy = import_model(tiny_model_dir)
    onnx = copy / "model.onnx"
    onnx.write_bytes(onnx.read_bytes()[:1000])  # damaged on disk after the import
    with pytest.raises(ModelError, match="does not match the sha256"):
        open_model_folder(copy)
    assert import_model(tiny_model_dir) == copy
    assert open_model_folder(copy).card.model_id == open_model_folder(tiny_model_dir).card.model_id


def test_importing_onto_a_full_disk_says_so_and_leaves_nothing_half_copied(tmp_path,
                                                                          tiny_model_dir,
                                                                          monkeypatch):
    """It used to say only "cannot copy the model here (No space left on device). Check free
    space and permissions"."""
    import errno
    import shutil

    from desktop_app import paths
    from desktop_app.core import model_registry

    copied = []

    def copy_until_full(src, dst):  # the disk fills up at the second file
        if copied:
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        copied.append(dst)
        return shutil.copy2(src, dst)

    monkeypatch.setattr(model_registry.shutil, "copy2", copy_until_full)
    with pytest.raises(ModelError) as refused:
        model_registry.import_model(tiny_model_dir)
    size = sum(p.stat().st_size for p in tiny_model_dir.iterdir() if p.is_file())
    assert "the disk is full, so the model was not imported" in str(refused.value)
    assert f"it needs {size / 1e6:.1f} MB" in str(refused.value)
    assert "Free some disk space and import it again" in str(refused.value)
    assert [p.name for p in paths.models_dir().iterdir()] == []  # no half-made folder


def test_refused_model_leaves_the_library_untouched(capsys, tmp_path, tiny_model_dir,
                                                   model_copy, photo_factory):
    photo_factory("album/a.jpg", "chelsea")
    photo_factory("album/b.jpg", "coffee")
    assert cli.main(["models", "import", str(tiny_model_dir), "--activate"]) == 0
    assert cli.main(["index", str(tmp_path / "album")]) == 0
    with Store() as store:
        before = (store.active_model_id(), store.query("SELECT * FROM codes ORDER BY photo_id"))
    edit_card(model_copy, name="broken", onnx_sha256="1" * 64)
    capsys.readouterr()
    assert cli.main(["models", "activate", str(model_copy)]) == cli.EXIT_MODEL
    assert "does not match the sha256" in capsys.readouterr().err
    with Store() as store:
        after = (store.active_model_id(), store.query("SELECT * FROM codes ORDER BY photo_id"))
        # The refused model is not registered (the shipped default may be listed beside tiny-48).
        assert "broken" not in [m["name"] for m in store.models()]
    assert after == before


def test_encoder_output_is_packed_bits(tiny_model_dir):
    enc = load_encoder(tiny_model_dir)
    pixels = np.random.default_rng(3).random((5, 3, 32, 32), dtype=np.float32)
    codes = enc.encode_pixels(pixels)
    assert codes.shape == (5, 6) and codes.dtype == np.uint8
    raw = enc.raw_outputs(pixels)
    assert (np.unpackbits(codes, axis=1) == (raw > 0)).all()
    assert enc.providers == ["CPUExecutionProvider"]  # LOOKALIKE_PROVIDER=cpu in the tests


@pytest.mark.parametrize("change, field", [
    ({"input__size": 224}, "input.size"),
    ({"input__size": [224]}, "input.size"),
    ({"input__size": [32, "32"]}, "input.size"),
    ({"input__mean": [127.0, 127.0]}, "input.mean"),
    ({"input__std": [128.0, 0, 128.0]}, "input.std"),
    ({"input__scale": "1"}, "input.scale"),
    ({"input__interpolation": "cubic"}, "input.interpolation"),
    ({"input__crop": "left"}, "input.crop"),
    ({"output__bits": "96"}, "output.bits"),
    ({"output__bits": 4096}, "output.bits"),
    ({"probe__count": 4.5}, "probe.count"),
    ({"probe__expected_codes_hex": ["zz"]}, "probe.expected_codes_hex"),
    ({"opset": "x"}, "opset"),
    ({"onnx_sha256": "abc"}, "onnx_sha256"),
    ({"training": "abc"}, "training"),
])
def test_malformed_card_fields_are_refused_by_name(model_copy, change, field):
    edit_card(model_copy, **change)
    with pytest.raises(ModelError) as caught:
        load_encoder(model_copy)
    message = str(caught.value)
    assert "model.json" in message and f"'{field}'" in message and "must be" in message
    assert "re-export" in message


@pytest.mark.parametrize("name", ["../model.onnx", "/elsewhere/model.onnx", "sub/../../model.onnx",
                                  "C:\\models\\model.onnx", "..\\model.onnx"])
def test_card_naming_a_graph_outside_its_folder_is_refused(model_copy, name):
    shutil.copy(model_copy / "model.onnx", model_copy.parent / "model.onnx")  # a graph is there
    edit_card(model_copy, onnx_file=name)
    with pytest.raises(ModelError, match="'onnx_file'.*inside the model folder"):
        load_encoder(model_copy)


def test_card_whose_preprocessing_cannot_work_is_refused_at_load(model_copy):
    """Even a card that got past the parser (made in code) is tried on a photo before use."""
    from dataclasses import replace

    from desktop_app.core.encoder import Encoder, open_model_folder

    folder = open_model_folder(model_copy)
    broken = replace(folder.card, input=replace(folder.card.input, mean=(127.0, 127.0)))
    with pytest.raises(ModelError, match="model.json.*preprocessing does not work"):
        Encoder(replace(folder, card=broken))


def test_card_size_the_graph_refuses_is_a_model_error(model_copy):
    edit_card(model_copy, input__size=[64, 64], input__resize_shorter=64)  # the graph takes 32
    # Refused from the graph's declared input, before the probe makes pictures of that size.
    with pytest.raises(ModelError, match=r"input 'pixels' is .* 32, 32\], but Lookalike "
                       r"gives it float32 \[batch, 3, 64, 64\] \(the card's 'input.size'\)"):
        load_encoder(model_copy)


def test_a_graph_with_a_fixed_batch_size_is_refused_at_load(tmp_path):
    """Exported without a dynamic batch axis, a graph takes only as many pictures at a time as
    its card's probe has (4): it passed the self-test, then failed with onnxruntime's own error
    as "a bug" when 12 pictures (the check of its codes, a batch of photos) went in."""
    from tiny_model import build_tiny_onnx, make_tiny_model

    from desktop_app.core.model_card import file_sha256

    folder = make_tiny_model(tmp_path / "fixed")  # its probe: 4 pictures
    build_tiny_onnx(folder / "model.onnx", batch=4)  # the same weights, a fixed batch
    edit_card(folder, onnx_sha256=file_sha256(folder / "model.onnx"))
    with pytest.raises(ModelError, match=r"model\.onnx.*exactly 4 pictures at a time.*dynamic "
                       r"batch axis"):
        load_encoder(folder)


def test_a_card_that_is_not_utf8_is_a_model_error(tmp_path):
    from desktop_app.core.errors import ModelError
    from desktop_app.core.model_card import read_card

    (tmp_path / "model.json").write_bytes(b'{"name": "\xff"}')
    with pytest.raises(ModelError, match="not UTF-8"):
        read_card(tmp_path)


@pytest.mark.parametrize("text", ["[]", "null", '"model"', "48"])
def test_a_card_that_is_json_but_not_an_object_says_what_to_do(model_copy, text):
    (model_copy / "model.json").write_text(text)
    with pytest.raises(ModelError) as caught:
        load_encoder(model_copy)
    assert str(caught.value) == (f"{model_copy / 'model.json'}: the model card is not a JSON "
                                 "object. Re-export the model with `python -m trainer export`.")


def test_a_card_holding_half_an_emoji_is_a_model_error_not_a_crash(model_copy, capsys):
    """"\\ud83d" is valid JSON but no text: registering the model crashed SQLite's encoding
    (UnicodeEncodeError, "a bug") during `models import`."""
    card = json.loads((model_copy / "model.json").read_text())
    (model_copy / "model.json").write_text(json.dumps(card).replace(
        f'"name": "{card["name"]}"', '"name": "holiday \\ud83d"'))
    with pytest.raises(ModelError, match=r"model\.json: the model card holds a character that "
                       r"is not valid Unicode \(a lone surrogate escape, \\ud83d\)"):
        load_encoder(model_copy)
    assert cli.main(["models", "import", str(model_copy)]) == cli.EXIT_MODEL
    assert "lone surrogate" in capsys.readouterr().err


def test_a_model_in_a_folder_named_in_latin1_loads(tmp_path, tiny_model_dir):
    """onnxruntime takes only UTF-8 paths: a model folder named in Latin-1 (b"mod\\xe9le") gave
    "incompatible constructor arguments"; its graph is now given as bytes."""
    import os

    import numpy as np

    from desktop_app.core.encoder import probe_inputs

    folder = os.fsdecode(os.fsencode(tmp_path) + b"/mod\xe9le")
    shutil.copytree(tiny_model_dir, folder)
    moved, original = load_encoder(folder), load_encoder(tiny_model_dir)
    pixels = probe_inputs(original.card)
    assert np.array_equal(moved.encode_pixels(pixels), original.encode_pixels(pixels))


def test_weights_in_separate_files_in_a_latin1_folder_say_what_to_do(tmp_path, tiny_model_dir):
    import os

    import onnx

    from desktop_app.core.model_card import file_sha256

    made = tmp_path / "made"  # onnx itself writes only to UTF-8 paths: renamed after
    shutil.copytree(tiny_model_dir, made)
    onnx.save_model(onnx.load(str(made / "model.onnx")), str(made / "model.onnx"),
                    save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    edit_card(made, onnx_sha256=file_sha256(made / "model.onnx"))
    load_encoder(made)  # loads where its folder's name is UTF-8
    folder = os.fsdecode(os.fsencode(tmp_path) + b"/mod\xe9le")
    os.rename(made, folder)
    with pytest.raises(ModelError, match=r"model\.onnx: onnxruntime cannot open a model whose "
                       r"weights are in separate files .*not UTF-8 text.*models import"):
        load_encoder(folder)


def test_a_card_naming_an_album_that_is_not_utf8_is_used(model_copy, capsys):
    """The trainer writes the album names (folder names, "Caf\\udce9" for the bytes Caf\\xe9)
    into the description and training.labels, and may name the model with an emoji (JSON:
    a surrogate pair, whole): such a card is valid, not refused as holding half an emoji."""
    album = "Caf\udce9"
    edit_card(model_copy, name="Ferien 2024 \u2014 Strand \U0001f3d6",
              description=f"Trained on 12 photos in 2 albums ({album}, beach)",
              training={"labels": [album, "beach"], "bits": 48})
    assert '"Caf\\udce9' in (model_copy / "model.json").read_text()
    card = load_encoder(model_copy).card
    assert card.name == "Ferien 2024 \u2014 Strand \U0001f3d6"
    assert card.training["labels"] == [album, "beach"]
    assert cli.main(["models", "import", str(model_copy), "--activate"]) == cli.EXIT_OK, \
        capsys.readouterr().err
    assert "Ferien 2024 \u2014 Strand \U0001f3d6 is now the active model" in \
        capsys.readouterr().out
