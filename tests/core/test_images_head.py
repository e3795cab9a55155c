"""A file over 16 MiB with a photo's name is read whole only once its start looks like an image:
a video or disk image named .jpg cost its whole size in memory (per decode thread) just to be
refused."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from photos import sample_image
from PIL import Image

from desktop_app.core import images

BIG = 256 * 1024 * 1024  # sparse: costs no disk, and would cost this much memory if read
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00\x00\x00\x08free"


def _bytes_read() -> int:
    """What this process has read through read() calls so far (all files, all threads)."""
    with open("/proc/self/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("rchar:"))


def _big_file(path, start: bytes, size: int = BIG):
    with open(path, "wb") as f:
        f.write(start)
        f.truncate(size)
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts reads in /proc")
@pytest.mark.parametrize(("name", "start", "said"), [
    ("clip.jpg", MP4, "not an image Lookalike can read (unknown or damaged format)"),
    ("server.png", b"2024-05-01 12:00:00 INFO started\n" * 3000, "a text file, not an image"),
    ("disk.jpg", np.random.default_rng(1).bytes(1 << 20), "not an image Lookalike can read"),
])
def test_a_huge_file_that_is_no_image_is_refused_from_its_start(tmp_path, name, start, said):
    path = _big_file(tmp_path / name, start)
    images._looks_like_image(b"")  # the decoders' own imports are not the file's reads
    before = _bytes_read()
    with pytest.raises(images.PhotoReadError) as caught:
        images.load_photo(path, min_size=(224, 224))
    read = _bytes_read() - before
    assert str(caught.value).startswith(f"{path}: ") and said in str(caught.value)
    assert read < 1024 * 1024, f"read {read} bytes of a {BIG}-byte file to refuse it"


def test_a_file_up_to_16_mib_is_read_whole_even_if_no_image(tmp_path):
    # Its fingerprint is kept with its failure: the library then knows it when it moves.
    path = tmp_path / "notes.jpg"
    path.write_bytes(b"not a photo\n" * 100_000)
    assert images.read_bytes(path) == path.read_bytes()


def test_zeros_are_called_lost_only_when_the_whole_file_is_zeros(tmp_path):
    zeros = _big_file(tmp_path / "lost.jpg", b"", size=images.READ_WHOLE_BYTES + 4096)
    with pytest.raises(images.PhotoReadError, match="only zero bytes"):
        images.load_photo(zeros)
    # Zeros at the start and data later (preallocated, written out of order): not "lost".
    later = _big_file(tmp_path / "later.jpg", b"", size=images.READ_WHOLE_BYTES + 4096)
    with open(later, "r+b") as f:
        f.seek(images.HEAD_BYTES + 200_000)
        f.write(b"data")
    with pytest.raises(images.PhotoReadError) as caught:
        images.load_photo(later)
    assert "only zero bytes" not in str(caught.value)
    assert "not an image Lookalike can read" in str(caught.value)


def _noisy(size=(900, 700)) -> Image.Image:
    pixels = np.random.default_rng(2).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def test_images_whose_header_runs_past_the_start_still_load_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "READ_WHOLE_BYTES", images.HEAD_BYTES)  # as if these were big
    # A JPEG whose colour profile comes before its size (300 KB of APP2 segments), a TGA (a
    # format with no signature: Image.open itself recognises it), a TIFF and a HEIC.
    jpeg = tmp_path / "profiled.jpg"
    _noisy().save(jpeg, quality=90, icc_profile=np.random.default_rng(3).bytes(300_000))
    tga = tmp_path / "targa.jpg"
    _noisy().convert("L").save(tga, "TGA")  # (an RGB one's start passes for a cursor's)
    tiff = tmp_path / "scan.tif"
    _noisy().save(tiff, compression="tiff_deflate")
    heic = tmp_path / "phone.heic"
    _noisy().save(heic, quality=90)
    for path in (jpeg, tga, tiff, heic):
        assert path.stat().st_size > 2 * images.HEAD_BYTES, path
        loaded = images.load_photo(path)
        assert (loaded.width, loaded.height) == (900, 700), path
        assert loaded.size == path.stat().st_size, path
        assert loaded.fingerprint == images.fingerprint(path), path


def test_a_photo_piped_in_is_read_whole(tmp_path):
    buffer = io.BytesIO()
    sample_image("astronaut").resize((1200, 900)).save(buffer, "JPEG", quality=95)
    data = buffer.getvalue()
    assert len(data) > 2 * images.HEAD_BYTES
    code = ("import sys; from desktop_app.core import images\n"
            "data = images.read_bytes('/dev/stdin')\n"
            "print(len(data), images.fingerprint_bytes(data))")
    done = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().split() == [str(len(data)), images.fingerprint_bytes(data)]
