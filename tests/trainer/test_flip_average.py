"""backbone.flip_average: each photo's features averaged with its mirror image's, in the frozen
features, in fine-tuning's validation and in the exported ONNX graph the app runs."""

from __future__ import annotations

import json
import logging

import numpy as np
import torch
from fast_settings import FAST
from tiny_finetune import tiny_finetune_inputs

from desktop_app.core.encoder import load_encoder
from desktop_app.core.model_card import read_card
from trainer import config as config_mod
from trainer.backbones import FlipAveraged, build_backbone
from trainer.cli import main
from trainer.features import photo_tensors
from trainer.rundir import checkpoint_identity, record_tuned_from, tuned_backbone


def mirrored(pixels: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(pixels[..., ::-1])


def test_flip_averaged_features_are_the_mean_of_the_photo_and_its_mirror_image():
    torch.manual_seed(0)
    backbone = build_backbone().eval()  # ImageNet weights: a random network's features are ~0
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        want = (backbone(x) + backbone(x.flip(-1))) / 2
        got = FlipAveraged(backbone)(x)
        of_mirror = FlipAveraged(backbone)(x.flip(-1))
        apart = float((backbone(x) - backbone(x.flip(-1))).abs().max())
    assert got.shape == (3, backbone.feature_dim)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-6)
    torch.testing.assert_close(of_mirror, got, rtol=0, atol=1e-6)
    assert apart > 1e-2  # a photo and its mirror image differ without the averaging


def test_a_flip_averaged_run_exports_a_graph_that_codes_a_photo_like_its_mirror_image(
        albums, tmp_path, capsys, caplog):
    plain_dir, flip_dir = tmp_path / "plain", tmp_path / "flip"
    for out, flag in ((plain_dir, "--no-flip-average"), (flip_dir, "--flip-average")):
        assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--progress",
                     "none", *FAST, flag]) == 0
    photos = sorted(str(p) for p in albums.rglob("*.jpg"))
    card = read_card(flip_dir)
    assert card.training["flip_average"] is True
    assert read_card(plain_dir).training["flip_average"] is False
    # The Model tab says so (the card's training section, as the app shows it).
    from desktop_app.ui.model_card_html import card_html

    assert "Mirror images" in card_html(card, str(flip_dir))
    assert "Mirror images" not in card_html(read_card(plain_dir), str(plain_dir))
    pixels = photo_tensors(photos, card.input)  # the app's load_photo + preprocess
    # The app's encoder (onnxruntime) on each photo and on its mirror image: the same outputs
    # from the flip-averaged graph, different ones from the plain graph of the same settings.
    flip_enc, plain_enc = load_encoder(flip_dir), load_encoder(plain_dir)
    np.testing.assert_allclose(flip_enc.raw_outputs(mirrored(pixels)),
                               flip_enc.raw_outputs(pixels), rtol=0, atol=1e-4)
    assert np.array_equal(flip_enc.encode_pixels(mirrored(pixels)),
                          flip_enc.encode_pixels(pixels))
    assert not np.allclose(plain_enc.raw_outputs(mirrored(pixels)),
                           plain_enc.raw_outputs(pixels), atol=1e-3)

    # The setting stays with the run folder; switching it off retrains the heads on other
    # features (the old heads learnt from flip-averaged ones) and says why.
    saved = config_mod.read_saved(flip_dir / "training" / "config.toml")
    assert saved["backbone"]["flip_average"] is True
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        assert main(["train", str(flip_dir / "training"), "--progress", "json",
                     "--no-flip-average"]) == 0
    steps = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    train = [e for e in steps if e.get("phase") == "train"]
    assert train and train[0]["step"] <= 8  # not resumed from the finished checkpoint
    assert "other backbone settings (flip_average True -> False)" in caplog.text
    summary = json.loads((flip_dir / "training" / "training.json").read_text())
    assert summary["flip_average"] is False


def test_flip_averaging_is_in_the_heads_identity_but_not_in_the_tuned_backbones(tmp_path):
    from trainer.albums import Manifest

    plain = config_mod.resolve()
    flip = config_mod.resolve(backbone_flip_average=True)
    assert flip["backbone"]["flip_average"] is True
    manifest = Manifest(root="albums", labels=["a"], photos=[], seed=0, fingerprint="f")
    # Checkpoints saved before the setting existed carry no such key, and still resume.
    assert "flip_average" not in checkpoint_identity(manifest, plain)["backbone"]
    assert checkpoint_identity(manifest, flip) != checkpoint_identity(manifest, plain)
    # A backbone fine-tuned without flip averaging is the same weights with it: still used.
    (tmp_path / "backbone.pt").write_bytes(b"weights")
    record_tuned_from(tmp_path, plain)
    assert tuned_backbone(tmp_path, flip) == tmp_path / "backbone.pt"
    record_tuned_from(tmp_path, flip)
    assert tuned_backbone(tmp_path, plain) == tmp_path / "backbone.pt"


def test_fine_tuning_validates_on_flip_averaged_outputs_when_asked():
    from trainer.finetune import FinetuneTrainer

    images, labels, cfg, spec = tiny_finetune_inputs()
    images = images.copy()
    images[35:] = images[30:35, :, ::-1]  # validation photos 35-39 mirror photos 30-34

    def outputs(flip: bool) -> np.ndarray:
        torch.manual_seed(0)
        trainer = FinetuneTrainer(images, labels, np.arange(30), np.arange(30, 40), cfg,
                                  build_backbone(), spec, flip_average=flip)
        return trainer.outputs(np.arange(30, 40))

    flip, plain = outputs(True), outputs(False)
    np.testing.assert_allclose(flip[5:], flip[:5], rtol=0, atol=1e-5)
    assert not np.allclose(plain[5:], plain[:5], atol=1e-3)
