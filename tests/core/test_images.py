"""Photo reading details the library relies on: draft decoding of big JPEGs, full size reported."""

from __future__ import annotations

import numpy as np
import pytest
from photos import sample_image
from PIL import Image

from desktop_app.core import images
from desktop_app.core.model_card import InputSpec
from desktop_app.core.preprocess import draft_target, preprocess, to_tensor


def test_big_jpeg_is_draft_decoded_small_but_reports_full_size(photo_factory):
    path = photo_factory("big.jpg", "astronaut", size=(2400, 1800))
    spec = InputSpec(size=(224, 224), resize_shorter=224)
    loaded = images.load_photo(path, min_size=draft_target(spec))
    assert (loaded.width, loaded.height) == (2400, 1800)
    assert loaded.image.size == (300, 225)  # DCT scaling 1/8, still >= 224 both ways
    assert preprocess(loaded.image, spec).shape == (3, 224, 224)
    assert loaded.fingerprint == images.fingerprint(path)
    assert images.load_photo(path).image.size == (2400, 1800)  # no min_size: full decode


def test_to_tensor_normalises_each_channel_into_chw_layout():
    """pixel = (value * scale - mean) / std per channel, channels first, as the card says."""
    spec = InputSpec(size=(2, 3), scale=1 / 255, mean=(0.485, 0.456, 0.406),
                     std=(0.229, 0.224, 0.225))
    rgb = np.arange(18, dtype=np.uint8).reshape(2, 3, 3) * 14
    out = to_tensor(Image.fromarray(rgb, "RGB"), spec)
    assert out.shape == (3, 2, 3) and out.dtype == np.float32 and out.flags["C_CONTIGUOUS"]
    for c in range(3):
        for y in range(2):
            for x in range(3):
                expected = (float(rgb[y, x, c]) / 255 - spec.mean[c]) / spec.std[c]
                assert out[c, y, x] == pytest.approx(expected, abs=1e-6)
    # Bit for bit the float32 arithmetic the card promises (codes must not move with rewrites).
    f32 = np.float32
    reference = ((rgb.astype(f32) * f32(spec.scale) - np.asarray(spec.mean, f32))
                 / np.asarray(spec.std, f32)).transpose(2, 0, 1)
    assert np.array_equal(out, reference)


def test_is_photo_skips_hidden_and_partial_files():
    assert images.is_photo("/a/b/IMG_1.JPG") and images.is_photo("x.heic")
    assert not images.is_photo("/a/.hidden.jpg")
    assert not images.is_photo("/a/photo.jpg.part") and not images.is_photo("notes.txt")


def _pillow_draft(path, side):
    """The reference: Pillow's own DCT-scaled decode, orientation applied."""
    from PIL import ImageOps

    image = Image.open(path)
    image.draft("RGB", (side, side))
    return ImageOps.exif_transpose(image.convert("RGB"))


@pytest.mark.parametrize("orientation", [1, 6])
def test_fast_jpeg_decode_matches_pillow_draft(photo_factory, orientation):
    path = photo_factory(f"o{orientation}.jpg", "astronaut", size=(2400, 1800),
                         orientation=orientation)
    fast = images.load_photo(path, min_size=(224, 224)).image
    reference = _pillow_draft(path, 224)
    assert fast.size == reference.size == ((300, 225) if orientation == 1 else (225, 300))
    diff = np.abs(np.asarray(fast, np.int16) - np.asarray(reference, np.int16))
    # At most the chroma upsampling may differ (fast vs fancy): small, local, never another picture.
    assert diff.mean() < 1.5 and np.percentile(diff, 99) < 24


def test_gray_and_cmyk_jpegs_decode_small_to_rgb(tmp_path):
    base = sample_image("astronaut").resize((1600, 1200))
    gray, cmyk = tmp_path / "gray.jpg", tmp_path / "cmyk.jpg"
    base.convert("L").save(gray, quality=90)
    base.convert("CMYK").save(cmyk, quality=90)  # libjpeg-turbo's fast path cannot; Pillow does
    for path in (gray, cmyk):
        loaded = images.load_photo(path, min_size=(224, 224))
        assert loaded.image.mode == "RGB" and loaded.image.size == (400, 300), path.name
        reference = _pillow_draft(path, 224)
        diff = np.abs(np.asarray(loaded.image, np.int16) - np.asarray(reference, np.int16))
        assert diff.mean() < 1.5, path.name


def test_multi_picture_jpegs_are_draft_decoded_like_jpegs(tmp_path):
    """Phones' Ultra HDR JPEGs (a gain map after the photo) and 3D/bracketed camera JPEGs are
    MPO to Pillow: still JPEGs, decoded small, first picture, turned per EXIF."""
    from photos import exif_bytes

    upright = sample_image("astronaut").resize((2400, 1800))
    path = tmp_path / "mpo.jpg"
    upright.transpose(Image.Transpose.ROTATE_90).save(
        path, "MPO", quality=90, exif=exif_bytes(6), save_all=True,
        append_images=[Image.new("RGB", (1800, 2400), (0, 0, 255))])
    assert Image.open(path).format == "MPO"
    loaded = images.load_photo(path, min_size=(224, 224))
    assert (loaded.width, loaded.height) == (2400, 1800)
    assert loaded.image.size == (300, 225)  # DCT scaling 1/8, as for any JPEG
    reference = upright.resize((300, 225), Image.Resampling.BOX)
    assert np.abs(np.asarray(loaded.image, np.int16) - np.asarray(reference, np.int16)).mean() < 4


def test_truncated_jpeg_is_refused_on_the_fast_path_too(photo_factory):
    path = photo_factory("t.jpg", "astronaut", size=(1600, 1200))
    path.write_bytes(path.read_bytes()[:20000])
    with pytest.raises(images.PhotoReadError, match="damaged or truncated"):
        images.load_photo(path, min_size=(224, 224))


def test_fingerprint_follows_content_not_name(tmp_path):
    a, b, c = tmp_path / "a.jpg", tmp_path / "b.jpg", tmp_path / "c.jpg"
    a.write_bytes(b"\xff\xd8" + bytes(range(256)) * 40)
    b.write_bytes(a.read_bytes())
    c.write_bytes(a.read_bytes()[:-1] + b"\x00")
    assert images.fingerprint(a) == images.fingerprint(b) != images.fingerprint(c)
    assert len(images.fingerprint(a)) == 32


@pytest.mark.parametrize("orientation", [3, 6])
def test_exif_orientation_is_applied_once_in_every_format(tmp_path, orientation):
    """Pillow turns TIFFs itself while loading; the others are turned by us. Either way, once."""
    import io

    from photos import exif_bytes

    stored = sample_image("astronaut").resize((320, 240))
    turn = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_270}[orientation]
    upright = np.asarray(stored.transpose(turn), np.int16)
    for fmt in ("JPEG", "PNG", "TIFF"):
        buf = io.BytesIO()
        stored.save(buf, fmt, exif=exif_bytes(orientation), **({"quality": 95} if fmt == "JPEG"
                                                                else {}))
        image, width, height = images.decode(buf.getvalue(), f"o.{fmt.lower()}")
        assert (width, height) == image.size == (upright.shape[1], upright.shape[0]), fmt
        assert np.abs(np.asarray(image, np.int16) - upright).mean() < 3, fmt


def test_float_tiffs_in_0_to_1_are_not_black(tmp_path):
    ramp = np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64)
    for values, name in ((ramp, "unit.tif"), (ramp * 255, "bytes.tif")):
        Image.fromarray(values, "F").save(tmp_path / name)
        image = images.load_photo(tmp_path / name).image
        arr = np.asarray(image)
        assert image.mode == "RGB" and arr.min() == 0 and arr.max() == 255, name
        assert abs(float(arr[32, 0, 0]) - 127.5) < 2, name  # the middle of the ramp is mid-grey


def test_a_folder_given_as_a_photo_says_what_to_do(tmp_path):
    with pytest.raises(images.PhotoReadError, match="folder, not a photo.*lookalike index"):
        images.load_photo(tmp_path)


def _resize_then_crop(image, spec):
    """The straightforward way: resize the whole image, then crop the centre."""
    height, width = spec.size
    w, h = image.size
    scale = spec.resize_shorter / min(w, h)
    new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
    whole = image.resize((new_w, new_h), Image.Resampling.BILINEAR, reducing_gap=3.0)
    left, top = (new_w - width) // 2, (new_h - height) // 2
    return whole.crop((left, top, left + width, top + height))


def test_thin_strips_preprocess_without_making_the_whole_resized_strip(monkeypatch):
    from desktop_app.core.preprocess import resize_for_input

    spec = InputSpec(size=(224, 224), resize_shorter=224)
    rng = np.random.default_rng(5)
    # Ordinary photos and moderate panoramas: exactly the resize-then-crop pixels, as always.
    for size in ((300, 225), (225, 300), (1024, 640), (900, 100)):
        image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
        assert resize_for_input(image, spec).tobytes() == _resize_then_crop(image, spec).tobytes()
    # Beyond 16 crops in area only the crop is resampled: still the same pixels within 1 level.
    for size in ((12, 500), (500, 12)):
        image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
        diff = np.abs(np.asarray(resize_for_input(image, spec), np.int16)
                      - np.asarray(_resize_then_crop(image, spec), np.int16))
        assert diff.max() <= 1, size

    made = []
    real_resize = Image.Image.resize

    def resize(self, size, *args, **kwargs):
        made.append(size[0] * size[1])
        return real_resize(self, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", resize)
    ramp = np.linspace(0, 255, 20000).round().astype(np.uint8)
    for strip in (Image.fromarray(np.stack([ramp] * 3, -1)[:, None, :], "RGB"),  # 1x20000
                  Image.fromarray(np.stack([ramp] * 3, -1)[None, :, :], "RGB")):  # 20000x1
        pixels = preprocess(strip, spec)
        assert pixels.shape == (3, 224, 224)
        # The centre crop of a black-to-white ramp is the ramp's mid-grey.
        middle = pixels * spec.std[0] + spec.mean[0]
        assert np.abs(middle - 127.5).max() < 1.5
    assert made and max(made) <= 16 * 224 * 224  # never the 224 x 4,480,000 whole strip
