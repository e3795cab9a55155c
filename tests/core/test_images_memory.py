"""Reading a big image costs memory near its own pixels, whatever its mode: the indexer decodes
two photos at once and the thumbnail pool more, so a 200-megapixel 16-bit or transparent image
must not take gigabytes (it took 17-29 bytes a pixel: 4-6 GB at the pixel limit)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from desktop_app.core import images

# Decodes the file in a fresh process and prints the peak memory the decode added, per pixel.
_MEASURE = """
import sys
from desktop_app.core import images

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))

data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak restarts here: the imports' own peak is not the decode's
before = status("VmRSS:")
image, width, height = images.decode(data, sys.argv[1], min_size=(224, 224))
print((status("VmHWM:") - before) / (width * height))
"""


def _ramp(width: int, height: int) -> np.ndarray:
    return np.broadcast_to(np.linspace(0, 255, width).astype(np.uint8), (height, width))


def _write(kind: str, path, width: int = 3000, height: int = 2000) -> None:
    x = _ramp(width, height)
    if kind == "rgba":
        rgba = np.stack([x, x[:, ::-1], np.full_like(x, 100), x], -1)
        Image.fromarray(rgba, "RGBA").save(path, compress_level=1)
    elif kind == "palette":
        Image.fromarray(x, "L").convert("P").save(path, transparency=0, compress_level=1)
    elif kind == "gray16":
        Image.fromarray(x.astype(np.uint16) * 257).save(path, compress_level=1)
    else:  # float TIFF in 0..1
        Image.fromarray(x.astype(np.float32) / 255).save(path)


@pytest.mark.parametrize(("kind", "suffix", "limit"), [
    ("rgba", "png", 14), ("palette", "png", 11), ("gray16", "png", 11), ("float", "tif", 18)])
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the peak from /proc")
def test_big_images_of_every_mode_decode_in_bounded_memory(tmp_path, kind, suffix, limit):
    path = tmp_path / f"{kind}.{suffix}"
    _write(kind, path)
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    # An RGB photo takes about 4 (3 for its pixels, 1 for the decoder); the source mode's own
    # pixels and the RGB result are unavoidable, whole-image float and RGBA copies are not.
    assert float(done.stdout) < limit, f"{kind}: {float(done.stdout):.1f} bytes a pixel"


def test_the_bounded_conversions_give_the_same_pixels(monkeypatch):
    """Band by band and by table, but the same arithmetic as the whole image at once: codes
    do not move."""
    monkeypatch.setattr(images, "_BAND_PIXELS", 1000)  # many bands, one of them partial
    x = _ramp(300, 500)
    rgba = Image.fromarray(np.stack([x, x[:, ::-1], np.full_like(x, 100), x], -1), "RGBA")
    palette = Image.fromarray(x, "L").convert("P")
    palette.info["transparency"] = 7
    for image in (rgba, palette, rgba.convert("LA")):
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        whole = Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
        assert images._to_rgb(image).tobytes() == whole.tobytes(), image.mode
    deep = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    got = np.asarray(images._to_rgb(Image.fromarray(deep)))[..., 0]
    assert np.array_equal(got, np.round(deep * (255 / 65535)).astype(np.uint8))
    eight_bit_values = Image.fromarray(np.arange(256, dtype=np.uint16).reshape(16, 16))
    assert np.array_equal(np.asarray(images._to_rgb(eight_bit_values))[..., 0].ravel(),
                          np.arange(256))
    signed = Image.fromarray(np.array([[-5, 70000, 65535, 300]], np.int32))
    assert np.asarray(images._to_rgb(signed))[0, :, 0].tolist() == [0, 255, 255, 1]


def test_big_images_made_whole_are_decoded_one_at_a_time(tmp_path, monkeypatch):
    """Every thumbnail thread decoding a panorama at once multiplied the memory by the thread
    count; big images take turns, photos (and DCT-scaled baseline JPEGs) do not wait."""
    import threading
    import time

    monkeypatch.setattr(images, "BIG_PIXELS", 30_000)
    x = _ramp(200, 100)
    Image.fromarray(x).save(tmp_path / "photo.png")  # 20,000 pixels
    Image.fromarray(np.tile(x, (2, 1))).save(tmp_path / "panorama.png")  # 40,000
    wide = Image.fromarray(np.tile(x, (2, 1))).convert("RGB")
    wide.save(tmp_path / "panorama.jpg")
    wide.save(tmp_path / "progressive.jpg", progressive=True)
    busy, most = [0], [0]
    lock = threading.Lock()
    real_to_rgb = images._to_rgb

    def to_rgb(image):
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        time.sleep(0.1)
        with lock:
            busy[0] -= 1
        return real_to_rgb(image)

    monkeypatch.setattr(images, "_to_rgb", to_rgb)

    def most_at_once(name: str) -> int:
        most[0] = 0
        threads = [threading.Thread(target=images.load_photo, args=(tmp_path / name, (8, 8)))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return most[0]

    assert most_at_once("panorama.png") == 1
    assert most_at_once("photo.png") > 1
    monkeypatch.setattr(images, "_decode_jpeg_small", lambda *a: None)  # Pillow's draft path
    assert most_at_once("panorama.jpg") > 1  # decoded at 1/8: not big
    assert most_at_once("progressive.jpg") == 1  # keeps every coefficient while it scales
