"""torchvision backbones whose ImageNet weights come from a local file or a filled torch cache.

Lookalike never downloads: the weights are the file torchvision itself would have downloaded,
found in the torch hub cache (`$TORCH_HOME/hub/checkpoints`, `~/.cache/torch/hub/checkpoints`
by default; filled by any earlier `torchvision.models.resnet50(weights="DEFAULT")` on a
connected machine), or a state-dict file the user names (`backbone.weights`,
`--backbone-weights`).

The backbone's forward returns the pooled features that feed torchvision's classifier; the
classifier is kept beside it (`classify`) so the ImageNet file loads strictly and a tuned
backbone.pt rebuilds the same module.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn

from desktop_app.core.errors import LookalikeError

# torchvision's ImageNet normalisation, (x / 255 - mean) / std, written for 0-255 pixels.
IMAGENET_SCALING = {"scale": 1.0, "mean": (123.675, 116.28, 103.53),
                    "std": (58.395, 57.12, 57.375)}

# Architecture -> width of the pooled features (checked against a forward pass by the tests).
FEATURE_DIMS = {
    "resnet18": 512, "resnet34": 512, "resnet50": 2048,
    "mobilenet_v3_small": 576, "mobilenet_v3_large": 960,
    "efficientnet_b0": 1280, "efficientnet_b1": 1280, "efficientnet_b2": 1408,
    "efficientnet_v2_s": 1280, "convnext_tiny": 768, "regnet_y_800mf": 784,
}


class BackboneWeightsError(LookalikeError):
    """The backbone's pretrained weights are missing, unreadable or for another network."""


class TorchvisionBackbone(nn.Module):
    """A torchvision classifier split into `forward` (pooled features) and `classify`."""

    def __init__(self, arch: str, state: dict | None = None, source: Path | None = None) -> None:
        super().__init__()
        from torchvision.models import get_model

        net = get_model(arch, weights=None)
        if state is not None:
            load_strict(net, state, arch, source)
        self.arch = arch
        self.classifier = _split_classifier(net)
        self.net = net
        self.feature_dim = FEATURE_DIMS[arch]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet-1k logits."""
        return self.classifier(self.forward(x))


def _split_classifier(net: nn.Module) -> nn.Module:
    """Take the classifier off `net` (it then ends at the pooled features) and return it."""
    fc = getattr(net, "fc", None)
    if isinstance(fc, nn.Linear):  # ResNet, RegNet
        net.fc = nn.Identity()
        return fc
    head = getattr(net, "classifier", None)
    if isinstance(head, nn.Sequential):  # MobileNetV3, EfficientNet, ConvNeXt
        first = next(i for i, m in enumerate(head) if isinstance(m, nn.Linear))
        # What comes before the first Linear (ConvNeXt's LayerNorm + Flatten) is part of the
        # features; dropout there only matters to ImageNet training.
        net.classifier = nn.Sequential(*(m for m in list(head)[:first]
                                         if not isinstance(m, nn.Dropout)))
        return nn.Sequential(*list(head)[first:])
    raise ValueError(f"cannot find the classifier of {type(net).__name__}")


def torch_cache_dir() -> Path:
    """Where torchvision keeps downloaded weights (honours TORCH_HOME)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def cache_file_names(arch: str) -> list[str]:
    """torchvision's file names for `arch`'s ImageNet weights, its default first."""
    from torchvision.models import get_model_weights

    enum = get_model_weights(arch)
    ordered = [enum.DEFAULT, *(w for w in enum if w is not enum.DEFAULT)]
    return [Path(urlparse(w.url).path).name for w in ordered]


def default_weights_url(arch: str) -> str:
    from torchvision.models import get_model_weights

    return get_model_weights(arch).DEFAULT.url


def find_weights(arch: str, weights_file: str | Path | None = None) -> Path:
    """The weights file to load: the one named, else the first of torchvision's files for
    `arch` found in the torch cache. Never downloads."""
    if weights_file:
        path = Path(weights_file).expanduser()
        if not path.is_file():
            raise BackboneWeightsError(
                path, f"the weights file for the {arch} backbone does not exist",
                f"Give the path of a state dict of torchvision's {arch} with "
                "--backbone-weights FILE (or backbone.weights in the configuration)")
        return path
    cache = torch_cache_dir()
    for name in cache_file_names(arch):
        if (cache / name).is_file():
            return cache / name
    expected = cache / cache_file_names(arch)[0]
    raise BackboneWeightsError(
        expected, f"torchvision's ImageNet weights for {arch} are not in the torch cache, and "
        "Lookalike downloads nothing",
        f"Copy {default_weights_url(arch)} to that path (running "
        f"torchvision.models.{arch}(weights=\"DEFAULT\") once on a connected machine fills the "
        "cache), or give a local weights file with --backbone-weights FILE")


def read_state_dict(path: Path, arch: str) -> dict:
    """A state dict from `path`, loaded without unpickling arbitrary objects. Accepts the
    usual wrappers of a training checkpoint ({"state_dict": ...}, {"model": ...}, DDP's
    "module." prefix)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated, not a torch file, or pickled objects
        raise BackboneWeightsError(
            path, f"cannot be read as PyTorch weights ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})",
            f"Give a state dict of {arch} saved with torch.save") from exc
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise BackboneWeightsError(path, f"holds a {type(state).__name__}, not a state dict",
                                   f"Give a state dict of {arch} saved with torch.save")
    if state and all(isinstance(k, str) and k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def load_strict(net: nn.Module, state: dict, arch: str, source: Path | None) -> None:
    """load_state_dict(strict=True), whose failure is one sentence naming the file."""
    own = net.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong_shape = [k for k in own if k in state and hasattr(state[k], "shape")
                   and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or wrong_shape:
        example = (missing or unexpected or wrong_shape)[0]
        raise BackboneWeightsError(
            source, f"does not hold weights for the {arch} backbone ({len(missing)} missing, "
            f"{len(unexpected)} unexpected, {len(wrong_shape)} of another shape; e.g. "
            f"{example})",
            f"Give the ImageNet weights of {arch} itself, or choose the backbone they belong to")
    net.load_state_dict(state, strict=True)


def torchvision_backbone(arch: str, pretrained: bool = True,
                         weights_file: str | Path | None = None) -> TorchvisionBackbone:
    if not pretrained:
        return TorchvisionBackbone(arch)
    path = find_weights(arch, weights_file)
    return TorchvisionBackbone(arch, read_state_dict(path, arch), path)

