"""torchvision backbones: pooled features that match torchvision's own network, weights from a
local file or a filled torch cache (never the network), clear errors for missing or wrong
weights, and a whole run -> export -> app encoder on one of them."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torchvision
from fast_settings import FAST

from desktop_app.core.encoder import load_encoder
from desktop_app.core.hashing import pack_bits
from desktop_app.core.model_card import read_card
from trainer.backbone_weights import BackboneWeightsError
from trainer.backbones import BACKBONES, build_backbone, weights_tag
from trainer.cli import main
from trainer.config_rules import BACKBONE_NAMES
from trainer.features import photo_tensors
from trainer.torchvision_backbones import (
    FEATURE_DIMS,
    IMAGENET_SCALING,
    TorchvisionBackbone,
    cache_file_names,
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to download weights fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"tried to download: {args[:1]}")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    monkeypatch.setattr("urllib.request.urlopen", refuse)


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """An empty torch cache of the test's own."""
    home = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    return home


def imagenet_like(arch: str, seed: int = 0) -> torch.nn.Module:
    """torchvision's network with seeded random weights, standing in for the ImageNet file.
    Its batch-norm statistics are measured on random pictures, as trained weights' are: with
    the untouched ones a random MobileNet's features are about 1e-8 whatever the picture, and
    the model trained on them gives every photo the same code (which export refuses)."""
    torch.manual_seed(seed)
    net = torchvision.models.get_model(arch, weights=None)
    for layer in net.modules():
        if isinstance(layer, torch.nn.modules.batchnorm._BatchNorm):
            layer.reset_running_stats()
            layer.momentum = None  # a plain average over the pass below
    net.train()
    with torch.no_grad():
        net(torch.rand(32, 3, 64, 64))
    for layer in net.modules():
        if isinstance(layer, torch.nn.modules.batchnorm._BatchNorm):
            layer.momentum = 0.1  # torchvision's default, as a loaded model has
    return net.eval()


def test_the_config_lists_every_backbone_the_trainer_builds():
    assert set(BACKBONE_NAMES) == set(BACKBONES)


@pytest.mark.parametrize("arch", sorted(FEATURE_DIMS))
def test_features_have_the_width_the_head_is_built_for(arch):
    model = TorchvisionBackbone(arch).eval()
    with torch.no_grad():
        feats = model(torch.zeros(2, 3, 64, 64))
    assert feats.shape == (2, FEATURE_DIMS[arch]) == (2, model.feature_dim)


@pytest.mark.parametrize("arch", ["resnet18", "mobilenet_v3_small", "efficientnet_b0",
                                  "convnext_tiny", "regnet_y_800mf"])
def test_features_then_classifier_reproduce_torchvision_logits(arch):
    original = imagenet_like(arch)
    ours = TorchvisionBackbone(arch, original.state_dict()).eval()
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.allclose(ours.classify(x), original(x), atol=1e-5)


def test_the_input_scaling_is_torchvision_imagenet_normalisation():
    transform = torchvision.models.get_model_weights("resnet50").DEFAULT.transforms()
    assert np.allclose(np.array(transform.mean) * 255, IMAGENET_SCALING["mean"])
    assert np.allclose(np.array(transform.std) * 255, IMAGENET_SCALING["std"])


def test_weights_come_from_a_filled_torch_cache(torch_home):
    original = imagenet_like("resnet18", seed=3)
    cache = torch_home / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save(original.state_dict(), cache / "resnet18-f37072fd.pth")
    assert cache_file_names("resnet18") == ["resnet18-f37072fd.pth"]
    model = build_backbone("resnet18")
    assert torch.equal(model.net.conv1.weight, original.conv1.weight)


def test_missing_cache_names_the_file_to_fill_and_the_option(torch_home):
    with pytest.raises(BackboneWeightsError) as err:
        build_backbone("resnet50")
    message = str(err.value)
    expected = torch_home / "hub" / "checkpoints" / "resnet50-11ad3fa6.pth"
    assert str(expected) in message
    assert "downloads nothing" in message and "--backbone-weights" in message
    assert "https://download.pytorch.org/models/resnet50-11ad3fa6.pth" in message


def test_a_local_checkpoint_with_wrappers_loads(tmp_path, torch_home):
    original = imagenet_like("mobilenet_v3_small", seed=4)
    path = tmp_path / "mine.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in original.state_dict().items()},
                "epoch": 3}, path)
    model = build_backbone("mobilenet_v3_small", weights=path)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(model.eval().classify(x), original(x), atol=1e-5)


def test_wrong_weights_are_refused_with_the_file_and_the_cause(tmp_path, torch_home):
    other = tmp_path / "resnet34.pth"
    torch.save(imagenet_like("resnet34").state_dict(), other)
    with pytest.raises(BackboneWeightsError, match="does not hold weights for the resnet18") as err:
        build_backbone("resnet18", weights=other)
    assert str(other) in str(err.value)

    text = tmp_path / "notes.pth"
    text.write_text("not weights")
    with pytest.raises(BackboneWeightsError, match="cannot be read as PyTorch weights"):
        build_backbone("resnet18", weights=text)

    with pytest.raises(BackboneWeightsError, match="does not exist"):
        build_backbone("resnet18", weights=tmp_path / "absent.pth")


class Payload:
    def __reduce__(self):
        return (print, ("unpickled!",))


def test_a_pickled_object_is_not_executed(tmp_path, torch_home, capsys):
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": Payload()}, path)
    with pytest.raises(BackboneWeightsError, match="cannot be read"):
        build_backbone("resnet18", weights=path)
    assert "unpickled!" not in capsys.readouterr().out


def test_different_weight_files_give_different_feature_cache_keys(tmp_path, torch_home):
    a, b = tmp_path / "a.pth", tmp_path / "b.pth"
    torch.save(imagenet_like("resnet18", 0).state_dict(), a)
    torch.save(imagenet_like("resnet18", 1).state_dict(), b)
    tags = {weights_tag({"backbone": {"name": "resnet18", "weights": str(p)}}) for p in (a, b)}
    assert len(tags) == 2
    assert weights_tag({"backbone": {"name": "efficientnet_lite0", "weights": ""}}) == ""


def test_run_on_a_torchvision_backbone_exports_a_model_the_app_encodes_alike(
        albums, tmp_path, torch_home, monkeypatch):
    weights = tmp_path / "weights" / "mobilenet.pth"
    weights.parent.mkdir()
    torch.save(imagenet_like("mobilenet_v3_small", seed=5).state_dict(), weights)
    monkeypatch.chdir(weights.parent)  # a relative path is saved with the run as absolute
    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--backbone",
                 "mobilenet_v3_small", "--backbone-weights", "mobilenet.pth",
                 "--progress", "none", *FAST]) == 0

    from trainer.config import read_saved
    from trainer.pipeline import folded_head, load_backbone

    cfg = read_saved(out / "training" / "config.toml")
    assert cfg["backbone"]["name"] == "mobilenet_v3_small"
    assert cfg["backbone"]["weights"] == str(weights)
    card = read_card(out)
    assert card.input.mean == pytest.approx(IMAGENET_SCALING["mean"])
    assert card.input.std == pytest.approx(IMAGENET_SCALING["std"])

    photos = sorted(str(p) for p in albums.rglob("*.jpg"))[:5]
    pixels = photo_tensors(photos, card.input)
    backbone, head = load_backbone(out / "training", cfg), folded_head(out / "training", 12)
    assert torch.equal(backbone.net.features[0][0].weight,
                       imagenet_like("mobilenet_v3_small", seed=5).features[0][0].weight)
    with torch.no_grad():
        torch_codes = pack_bits((head(backbone(torch.from_numpy(pixels))) > 0).numpy())
    assert np.array_equal(load_encoder(out).encode_pixels(pixels), torch_codes)


def test_a_run_whose_features_do_not_tell_photos_apart_exports_nothing_and_says_why(
        albums, tmp_path, torch_home, capsys):
    """Weights whose features are the same for every picture (here a random MobileNet with
    untouched batch-norm statistics: about 1e-8 whatever the picture) make a model that gives
    every photo the same code: nothing is exported, and the message points at the weights."""
    torch.manual_seed(5)
    weights = tmp_path / "mobilenet.pth"
    torch.save(torchvision.models.get_model("mobilenet_v3_small", weights=None).state_dict(),
               weights)
    out = tmp_path / "model"
    code = main(["run", str(albums), "--out", str(out), "--bits", "12", "--backbone",
                 "mobilenet_v3_small", "--backbone-weights", str(weights),
                 "--progress", "none", *FAST])
    err = capsys.readouterr().err
    assert code != 0
    assert "the same code" in err and "--backbone-weights" in err, err
    assert not (out / "model.onnx").exists()


def test_run_without_the_weights_stops_with_one_clear_message(albums, tmp_path, torch_home,
                                                              capsys):
    out = tmp_path / "model"
    code = main(["run", str(albums), "--out", str(out), "--bits", "12", "--backbone",
                 "resnet18", "--progress", "json", *FAST])
    assert code == 2
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert '"event": "error"' in last and "resnet18-f37072fd.pth" in last
    assert not (out / "model.onnx").exists()


@pytest.mark.parametrize("weights", ["cache", "named"])
def test_missing_weights_are_found_before_any_photo_is_read(albums, tmp_path, torch_home,
                                                            capsys, monkeypatch, weights):
    import trainer.albums
    import trainer.finetune

    read = []

    def counting(path, *args, **kwargs):
        read.append(path)
        raise AssertionError("a photo was read before the weights were looked for")

    monkeypatch.setattr(trainer.albums, "load_photo", counting)
    monkeypatch.setattr(trainer.finetune, "load_photo", counting)
    choice = (["--backbone", "resnet18"] if weights == "cache" else
              ["--backbone-weights", str(tmp_path / "gone.pt")])
    code = main(["run", str(albums), "--out", str(tmp_path / "model"), "--bits", "12",
                 *choice, "--progress", "json", *FAST])
    run = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 2 and not read
    assert [e["event"] for e in run] == ["error"]
    named = "resnet18-f37072fd.pth" if weights == "cache" else "gone.pt: the weights file"
    assert named in run[0]["message"]


def test_fine_tuning_without_the_weights_stops_before_reading_the_photos(
        albums, tmp_path, torch_home, capsys, monkeypatch):
    import trainer.finetune

    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none"]) == 0
    read = []
    monkeypatch.setattr(trainer.finetune, "load_photo", lambda path, *a, **k: read.append(path))
    code = main(["train", str(run_dir), "--bits", "12", "--mode", "finetune", "--backbone",
                 "resnet18", "--progress", "json"])
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert code == 2 and not read
    assert last["event"] == "error" and "resnet18-f37072fd.pth" in last["message"]


@pytest.mark.slow  # fine-tunes a resnet18 on a CPU for a few steps: ~20 s
def test_finetune_mode_tunes_a_torchvision_backbone_from_the_cache(albums, tmp_path, torch_home):
    cache = torch_home / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    original = imagenet_like("resnet18", seed=6)
    torch.save(original.state_dict(), cache / "resnet18-f37072fd.pth")
    out = tmp_path / "model"
    steps = ["--set", "finetune.long_steps=4", "--set", "finetune.active_steps=4", "--set",
             "finetune.frozen_steps=4", "--set", "finetune.eval_every=2", "--set",
             "finetune.batch_size=8"]
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--mode", "finetune",
                 "--device", "cpu", "--backbone", "resnet18", "--progress", "none", *FAST,
                 *steps]) == 0
    tuned = torch.load(out / "training" / "backbone.pt", weights_only=True)
    assert not torch.equal(tuned["net.conv1.weight"], original.conv1.weight)
    assert read_card(out).training["mode"] == "finetune"

    from trainer.config import read_saved
    from trainer.pipeline import folded_head, load_backbone

    card = read_card(out)
    cfg = read_saved(out / "training" / "config.toml")
    photos = sorted(str(p) for p in albums.rglob("*.jpg"))[:5]
    pixels = photo_tensors(photos, card.input)
    backbone, head = load_backbone(out / "training", cfg), folded_head(out / "training", 12)
    with torch.no_grad():
        torch_codes = pack_bits((head(backbone(torch.from_numpy(pixels))) > 0).numpy())
    assert np.array_equal(load_encoder(out).encode_pixels(pixels), torch_codes)
