"""The export refuses, before writing anything, a model the app's import would refuse because
its codes do not vary (a head ending in a sigmoid); the trainer's own heads pass both."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from desktop_app.core.encoder import load_encoder
from desktop_app.core.model_card import InputSpec
from desktop_app.core.model_registry import import_model
from trainer.errors import ExportError
from trainer.export import export_model
from trainer.model import FoldedHead

SPEC = InputSpec(size=(32, 32), resize_shorter=32, crop="none")


def backbone() -> nn.Module:
    return nn.Sequential(nn.AdaptiveAvgPool2d(4), nn.Flatten())  # 48 features


def folded_head(bits: int = 16) -> FoldedHead:
    generator = torch.Generator().manual_seed(0)
    return FoldedHead(48, torch.randn(bits, 48, generator=generator),
                      torch.randn(bits, generator=generator) * 0.1)


def test_a_head_ending_in_a_sigmoid_is_not_exported(tmp_path):
    out = tmp_path / "model"
    head = nn.Sequential(folded_head(), nn.Sigmoid())
    with pytest.raises(ExportError) as refused:
        export_model(backbone(), head, out, input_spec=SPEC, bits=16, name="sigmoid-16")
    message = str(refused.value)
    assert message.startswith(f"{out / 'model.onnx'}: ") and "sigmoid" in message, message
    assert "the model was not exported" in message and "tanh" in message, message
    assert not (out / "model.onnx").exists() and not (out / "model.json").exists()


def test_the_trainers_own_head_is_exported_and_imported(tmp_path):
    out = export_model(backbone(), folded_head(), tmp_path / "model", input_spec=SPEC, bits=16,
                       name="plain-16")
    assert import_model(out) != out
    load_encoder(out)


def test_a_head_that_gives_nan_is_refused_as_diverged_training(tmp_path):
    """Outputs that are not numbers come from training that diverged, not from features that
    do not tell pictures apart: the remedy said to check the backbone weights."""
    head = folded_head()
    with torch.no_grad():
        head.linear.weight[0, 0] = float("nan")
    with pytest.raises(ExportError) as refused:
        export_model(backbone(), head, tmp_path / "model", input_spec=SPEC, bits=16,
                     name="nan-16")
    message = str(refused.value)
    assert "not numbers" in message and "diverged" in message, message
    assert "--backbone-weights" not in message
