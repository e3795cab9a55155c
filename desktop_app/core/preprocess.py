"""Photo -> float32 CHW tensor, exactly as the model card specifies (PIL + numpy, no torch).

The trainer uses this same function for its exported pipeline, so app and trainer cannot drift.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .model_card import InputSpec

_RESAMPLE = {
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "nearest": Image.Resampling.NEAREST,
    "lanczos": Image.Resampling.LANCZOS,
}
# A resized image up to this many crops in area is made whole and cropped, bit for bit as always
# (photos and panoramas up to 16:1, a few MB); beyond it only the part under the crop is made.
_MAX_RESIZED_AREA = 16


def resize_for_input(image: Image.Image, spec: InputSpec) -> Image.Image:
    """Resize (shorter side) and crop to the network's input size; RGB out."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    height, width = spec.size
    resample = _RESAMPLE.get(spec.interpolation, Image.Resampling.BILINEAR)
    if spec.crop == "none":
        return image.resize((width, height), resample, reducing_gap=3.0)
    w, h = image.size
    scale = spec.resize_shorter / min(w, h)
    new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
    left, top = (new_w - width) // 2, (new_h - height) // 2
    if new_w * new_h <= _MAX_RESIZED_AREA * width * height:
        image = image.resize((new_w, new_h), resample, reducing_gap=3.0)
        return image.crop((left, top, left + width, top + height))
    # A thin strip (1x40000 would become 224x8960000, gigabytes): resample only the source
    # region under the crop. Pillow's `box` keeps the full resize's scale and filter taps, so
    # the pixels match resize-then-crop (within 1 level for bilinear); only the crop is allocated.
    sx, sy = w / new_w, h / new_h
    box = (left * sx, top * sy, (left + width) * sx, (top + height) * sy)
    return image.resize((width, height), resample, box=box, reducing_gap=3.0)


def to_tensor(image: Image.Image, spec: InputSpec) -> np.ndarray:
    """An already-resized RGB image -> normalised float32 [3, H, W]."""
    # Transpose the uint8 pixels, convert once, then work in place: the same float32 operations
    # in the same order as (x * scale - mean) / std (bit-identical), at a quarter of the CPU.
    arr = np.asarray(image).transpose(2, 0, 1).astype(np.float32, order="C")
    arr *= np.float32(spec.scale)
    arr -= np.asarray(spec.mean, dtype=np.float32)[:, None, None]
    arr /= np.asarray(spec.std, dtype=np.float32)[:, None, None]
    return arr


def preprocess(image: Image.Image, spec: InputSpec) -> np.ndarray:
    return to_tensor(resize_for_input(image, spec), spec)


def draft_target(spec: InputSpec) -> tuple[int, int]:
    """The smallest size a JPEG may be draft-decoded to without losing pixels the model needs."""
    side = max(spec.resize_shorter, *spec.size)
    return side, side
