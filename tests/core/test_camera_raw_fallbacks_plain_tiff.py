"""A plain TIFF (an exported picture, a scanner's file) named as a raw (.dng, .nef, .fff) is
read as the TIFF it is, through Pillow with the limits any TIFF has, as a JPEG named .NEF is
read as the JPEG it is: LibRaw refuses it ("not RAW file"), and it was listed as a raw LibRaw
cannot read. A real raw LibRaw refuses stays refused, never shown as one of its pictures."""

from __future__ import annotations

import pytest
from photos import make_camera_raw, make_photo

from desktop_app.core import images, keeper
from desktop_app.core.errors import PhotoReadError


def set_tag(path, tag: int, value: int, ifd: str = "sensor", renamed_to: int | None = None):
    """Write over the single value of `tag` in a make_camera_raw file's IFD0 ("preview") or its
    SubIFD ("sensor"; IFD0 when it has none), or give the tag another number."""
    data = bytearray(path.read_bytes())

    def entries(at):
        return range(at + 2, at + 2 + 12 * int.from_bytes(data[at:at + 2], "little"), 12)

    def number(entry):
        return int.from_bytes(data[entry:entry + 2], "little")

    at = int.from_bytes(data[4:8], "little")
    sub = [int.from_bytes(data[e + 8:e + 12], "little") for e in entries(at) if number(e) == 330]
    if ifd == "sensor" and sub:
        at = sub[0]
    entry = next(e for e in entries(at) if number(e) == tag)
    data[entry + 8:entry + 12] = value.to_bytes(4, "little")
    if renamed_to is not None:
        data[entry:entry + 2] = renamed_to.to_bytes(2, "little")
    path.write_bytes(data)


@pytest.mark.parametrize("compression", [None, "tiff_lzw", "jpeg"])
@pytest.mark.parametrize("name", ["scan.dng", "export.NEF", "Flextight.fff"])
def test_a_plain_tiff_named_as_a_raw_is_read_as_the_tiff_it_is(tmp_path, name, compression):
    tiff = make_photo(tmp_path / "photo.tif", "chelsea")
    if compression is not None:
        from PIL import Image

        with Image.open(tiff) as image:
            image.save(tiff, "TIFF", compression=compression)
    path = tmp_path / name
    path.write_bytes(tiff.read_bytes())
    as_tiff = images.load_photo(tiff)
    loaded = images.load_photo(path)  # the indexer's read
    assert (loaded.width, loaded.height) == (as_tiff.width, as_tiff.height) == (451, 300)
    assert loaded.image.tobytes() == as_tiff.image.tobytes()
    shown, width, height = images.load_picture(path, (160, 160), 160)  # thumbnails'
    assert (width, height) == (451, 300) and shown.tobytes() == as_tiff.image.tobytes()


def test_it_has_the_limits_any_tiff_has(tmp_path):
    path = make_photo(tmp_path / "scan.tif", "chelsea").rename(tmp_path / "scan.dng")
    with pytest.raises(PhotoReadError) as error:
        images.decode(path.read_bytes(), path, max_pixels=100_000)
    assert str(error.value).startswith(f"{path}: the image is 451x300 pixels, over the ")


def test_the_duplicates_keeper_reads_its_header_as_a_tiffs(tmp_path):
    """It was all unknown (LibRaw refused it), so a plain TIFF of more pixels lost to a copy."""
    tiff = make_photo(tmp_path / "scan.tif", "chelsea")
    path = tmp_path / "scan.dng"
    path.write_bytes(tiff.read_bytes())
    header = keeper.read_header(str(path))
    assert header == keeper.read_header(str(tiff))
    assert header.pixels == 451 * 300 and not header.camera_raw


@pytest.mark.parametrize("dng", [True, False], ids=["DNG", "CFA TIFF, no DNG version"])
def test_a_raw_libraw_refuses_stays_refused_not_shown_as_its_preview(tmp_path, dng):
    """Its sensor data in a compression this LibRaw does not know (as a newer camera's): LibRaw
    says "not RAW file" as of a plain TIFF, and Pillow would show its 1024-pixel preview (IFD0)
    as the photo. Its sensor data (a CFA picture) and DNG version tell it is a raw."""
    path = make_camera_raw(tmp_path / "IMG_0001.dng", "chelsea", preview_side=1024)
    set_tag(path, 259, 99)  # the sensor data's Compression
    if not dng:  # DNGVersion renumbered as the unused tag next to it, keeping the IFD sorted
        set_tag(path, 50706, 0, ifd="preview", renamed_to=50705)
    for read in (lambda: images.load_photo(path),
                 lambda: images.load_picture(path, (160, 160), 160)):
        with pytest.raises(PhotoReadError, match="cannot read this camera raw file"):
            read()
    assert keeper.read_header(str(path)) == keeper.Header()  # unknown, as before
