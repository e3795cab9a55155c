"""The shipped default model: it loads through the app's own loader (hash + probe self-test),
its card says how it was made, and on the shipped sample photos an edited copy finds its
original first."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from desktop_app import paths
from desktop_app.core.encoder import load_encoder
from desktop_app.core.hashing import HammingIndex
from desktop_app.core.images import load_photo
from desktop_app.core.preprocess import draft_target, preprocess

SAMPLES = paths.resources_dir() / "sample-photos"


@pytest.fixture(scope="module")
def encoder():
    return load_encoder(paths.default_model_dir(), providers=["CPUExecutionProvider"])


def encode(encoder, files):
    spec = encoder.card.input
    pixels = np.stack([preprocess(load_photo(f, min_size=draft_target(spec)).image, spec)
                       for f in files])
    return encoder.encode_pixels(pixels)


@pytest.fixture(scope="module")
def sample_index(encoder):
    files = sorted(SAMPLES.glob("*.jpg"))
    assert len(files) >= 20, "the sample photos are missing from resources/sample-photos"
    return files, HammingIndex(np.arange(len(files)), encode(encoder, files), encoder.bits)


def test_default_model_loads_and_passes_its_self_test(encoder):
    card = encoder.card
    assert card.name == "default"
    # 32 "same kind" bits + 64 near-duplicate bits (docs/default-model.md)
    assert encoder.bits == 96
    assert (paths.default_model_dir() / card.onnx_file).stat().st_size < 20 * 2**20
    # The card records how the model was made and what it measured.
    assert card.training["data_fingerprint"]["cifar10_archive_sha256"]
    assert card.training["code_version"]
    assert card.training["config"]["bits"] == 96
    assert 0.0 < card.evaluation["neardup_recall1_cifar"]["model"]["all"] <= 1.0
    assert card.evaluation["same_kind_map100_cifar_test"]["model"] > 0.0


def test_shipped_edited_copies_find_their_originals_first(sample_index, encoder):
    files, index = sample_index
    names = [f.name for f in files]
    for copy, original in (("flower-marigold-cropped-copy.jpg", "flower-marigold.jpg"),
                           ("pet-cat-chelsea-small-copy.jpg", "pet-cat-chelsea.jpg")):
        q = names.index(copy)
        hits = index.search(index.codes[q], k=1, exclude=[q])
        assert names[hits[0].photo_id] == original


@pytest.mark.parametrize("edit", [
    lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),  # mirrored
    lambda im: im.crop((im.width // 10, im.height // 8, im.width, im.height)),  # cropped
    lambda im: im.rotate(3, resample=Image.Resampling.BICUBIC).crop(
        (im.width // 20, im.height // 20, im.width * 19 // 20, im.height * 19 // 20)),  # tilted
], ids=["mirrored", "cropped", "tilted"])
def test_an_edited_sample_photo_finds_its_original_first(sample_index, encoder, edit, tmp_path):
    files, index = sample_index
    names = [f.name for f in files]
    for name in ("people-astronaut.jpg", "water-boats-at-dusk.jpg", "leaf-ladybird.jpg"):
        edited = tmp_path / f"edited-{name}"
        edit(Image.open(SAMPLES / name).convert("RGB")).save(edited, quality=85)
        hits = index.search(encode(encoder, [edited])[0], k=1)
        assert names[hits[0].photo_id] == name, f"{edited.name} found {names[hits[0].photo_id]}"


def test_default_duplicate_distance_groups_each_shipped_copy_with_its_original(sample_index):
    """With no --max-distance, duplicates use one bit in eight of the code: enough to group the
    shipped edited copies with their originals, without pulling in the other sample photos."""
    from desktop_app.core.duplicates import duplicate_groups

    files, index = sample_index
    names = [[files[h.photo_id].name for h in group] for group in duplicate_groups(index)]
    for copy in (f for f in files if f.stem.endswith("-copy")):
        original = next(f.name for f in files
                        if f.stem != copy.stem and copy.stem.startswith(f.stem))
        assert any(copy.name in g and original in g for g in names), (copy.name, names)
    assert all(len(g) <= 3 for g in names), names
