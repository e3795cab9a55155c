"""PNG files whose colours a cICP chunk or an embedded profile describes, what the display path
shows of a photo file (the thumbnail's picture, less Qt), and whether two files give the same
pixels to make codes from."""

from __future__ import annotations

import struct
import zlib

import numpy as np
from colour_patches import D65, P3_PRIMARIES, PATCHES_WITH_DARK, patches
from PIL import Image, PngImagePlugin

from desktop_app.core import display_colour, images

P3_ICC = display_colour.rgb_icc_profile("Display P3 (test)", P3_PRIMARIES, D65,
                                        display_colour.SRGB_CURVE)


def png(path, cicp: bytes | None = None, icc: bytes | None = None, picture=None):
    """`picture` (the patches with a dark one by default) as a PNG with a cICP chunk of these
    bytes and an embedded profile, each if given."""
    info = PngImagePlugin.PngInfo()
    if cicp is not None:
        info.add(b"cICP", cicp)
    options = {"icc_profile": icc} if icc is not None else {}
    (picture or patches(PATCHES_WITH_DARK)).save(path, pnginfo=info, **options)
    return path


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def shown(path, edge: int = 64) -> Image.Image:
    """The picture a thumbnail shows, as ui/thumbnails.make_thumbnail makes it (less Qt)."""
    picture, _, _ = images.decode(path.read_bytes(), path, min_size=(edge, edge),
                                  display_edge=edge)
    picture.thumbnail((edge, edge))
    return display_colour.to_srgb_for_display(picture)


def same_codes(path, other) -> bool:
    """Whether the pixels codes are made from are the same, byte for byte."""
    return all(np.array_equal(np.asarray(images.load_photo(path, min_size=size).image),
                              np.asarray(images.load_photo(other, min_size=size).image))
               for size in ((224, 224), None))
