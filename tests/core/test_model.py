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
