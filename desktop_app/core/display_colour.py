"""Colours of the pictures shown: a photo's colour profile (embedded ICC, or one made from a
HEIC's or AVIF's nclx colour description) carried through images.decode(display_edge=...), and
the conversion of the small picture shown to sRGB, as screens and Qt take its numbers.

Display only: codes are made from a file's numbers as stored, whatever its profile (converting
those would change the codes of every library already indexed).
"""

from __future__ import annotations

import functools
import io
import struct
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import xxhash
from PIL import Image

if TYPE_CHECKING:  # imported when a profile is met: a Pillow without littlecms lacks it
    from PIL import ImageCms


def display_profile(image: Image.Image, data: bytes) -> bytes | None:
    """The ICC profile an RGB or palette picture's file embeds, or else the one its nclx colour
    description stands for (HEIC, AVIF); None for any other picture (a CMYK file's profile is
    used by images._cmyk_to_rgb already, a gray one's changes little)."""
    if image.mode not in ("RGB", "RGBA", "RGBX", "P", "PA"):
        return None
    profile = image.info.get("icc_profile")
    if not isinstance(profile, bytes):
        # pillow-heif gives the nclx box; Pillow's own AVIF plugin drops it: read from the file.
        nclx = image.info.get("nclx_profile")
        if nclx is None and image.format == "AVIF":
            nclx = _avif_nclx(data)
        return nclx_icc_profile(nclx)
    return profile if profile[16:20] == b"RGB " else None  # the header's colour space


def with_display_profile(result: tuple[Image.Image, int, int], display_edge: int | None,
                         profile: bytes | None) -> tuple[Image.Image, int, int]:
    """On the display path, the picture carries the file's RGB profile (or none) in its info."""
    if display_edge is not None:
        result[0].info.pop("icc_profile", None)  # convert() copies a gray or CMYK one
        if profile is not None:
            result[0].info["icc_profile"] = profile
    return result


def to_srgb_for_display(image: Image.Image) -> Image.Image:
    """A picture from decode(display_edge=...) in sRGB, as screens and Qt take its numbers: a
    Display P3 (phones), Adobe RGB (cameras) or ProPhoto (Lightroom) photo shown as stored looks
    dull or off-hue. Meant for the small picture shown: about 17 ns a pixel here, 0.3 ms for a
    160-pixel thumbnail. The profile is the file's own or one made from its nclx colour
    description (decode puts either in info["icc_profile"]). The same picture is returned when
    it has no RGB profile, an sRGB one, or a broken one."""
    profile = image.info.get("icc_profile")
    if image.mode != "RGB" or not isinstance(profile, bytes) or profile[16:20] != b"RGB ":
        return image
    transform = _srgb_transform(profile)
    return image if transform is None else transform.apply(image)


# Transforms by the hash of the profile: a library has a handful of distinct profiles, and
# building one (with its probe) takes 5-15 ms. Bounded, for a folder of scans each with its own.
_transforms: dict[str, ImageCms.ImageCmsTransform | None] = {}
_transforms_lock = threading.Lock()
_KEEP_TRANSFORMS = 32


def _srgb_transform(profile: bytes) -> ImageCms.ImageCmsTransform | None:
    # Keyed without the header's creation date (bytes 24-36) and profile ID (84-100): profiles
    # made by LittleCMS (GIMP, darktable exports) differ in those alone, one per session.
    key = xxhash.xxh3_128_hexdigest(profile[:24] + bytes(12) + profile[36:84] + bytes(16)
                                    + profile[100:])
    with _transforms_lock:
        if key not in _transforms:
            if len(_transforms) >= _KEEP_TRANSFORMS:
                del _transforms[next(iter(_transforms))]  # the oldest
            _transforms[key] = _build_srgb_transform(profile)
        return _transforms[key]


# Colours across the whole 8-bit cube, 8 steps a channel: what a profile does to a photo.
_LEVELS = np.linspace(0, 255, 8).round().astype(np.uint8)
_PROBE = np.stack(np.meshgrid(_LEVELS, _LEVELS, _LEVELS, indexing="ij"), -1).reshape(1, -1, 3)


def _build_srgb_transform(profile: bytes) -> ImageCms.ImageCmsTransform | None:
    """Profile -> sRGB transform; None when it changes no colour by more than 2 steps (an sRGB
    profile: that photo is shown exactly as before, at no cost) or cannot be used."""
    try:
        from PIL import ImageCms
    except ImportError:  # a Pillow built without littlecms: shown as stored
        return None
    try:
        transform = ImageCms.buildTransform(ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                                            ImageCms.createProfile("sRGB"), "RGB", "RGB")
        probe = np.asarray(transform.apply(Image.fromarray(_PROBE, "RGB")), np.int16)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile must not cost the picture: shown as stored
    return transform if np.abs(probe - _PROBE).max() > 2 else None


# -- profiles for nclx colour descriptions ---------------------------------------------------
# HEIC and AVIF files may describe their colours by ITU-T H.273 code points (an "nclx" box,
# which pillow-heif gives as info["nclx_profile"], a dict) instead of an ICC profile: phones and
# exporters write Display P3 or BT.2020 that way. The matching ICC profile is made here, so
# those pictures go through the same transforms as embedded profiles.

D65, D50 = (0.3127, 0.3290), (0.3457, 0.3585)
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367],
                      [0.0389, -0.0685, 1.0296]])
# ICC parametric curves (type 3: g, a, b, c, d), from stored value to linear light.
SRGB_CURVE = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
BT709_CURVE = (1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 0.081)  # the camera curve, inverted

# colour_primaries -> red, green, blue (x, y), all with a D65 white. 1 (BT.709) has the sRGB
# primaries: shown as stored, as before. Others (BT.601, DCI white...) are rare in photos.
_NCLX_PRIMARIES = {
    9: ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)),  # BT.2020
    12: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)),  # Display P3 (SMPTE EG 432-1)
}
# transfer_characteristics -> curve, SDR ones only. HDR (16 PQ, 18 HLG) needs tone mapping to
# fit an SDR screen, which a profile cannot do: those pictures are shown as stored.
_NCLX_CURVES: dict[int, float | tuple[float, ...]] = {
    1: BT709_CURVE, 6: BT709_CURVE, 14: BT709_CURVE, 15: BT709_CURVE,  # BT.709/601/2020
    13: SRGB_CURVE, 4: 2.2, 5: 2.8,
}


def nclx_icc_profile(nclx: object) -> bytes | None:
    """The ICC profile for an nclx colour description as pillow-heif gives it (a dict with
    color_primaries and transfer_characteristics); None when the picture needs no conversion
    (BT.709/sRGB primaries) or cannot be converted (HDR, unknown or unspecified code points)."""
    if not isinstance(nclx, dict):
        return None
    primaries, transfer = nclx.get("color_primaries"), nclx.get("transfer_characteristics")
    if primaries not in _NCLX_PRIMARIES or transfer not in _NCLX_CURVES:
        return None
    return _nclx_profile(primaries, transfer)


def _avif_nclx(data: bytes) -> dict[str, int] | None:
    """The nclx colour description of an AVIF file's primary image, in pillow-heif's keys: its
    "colr" property (meta > iprp > ipco) that meta > iprp > ipma gives the item meta > pitm
    names. None when it has none, or its boxes cannot be read (shown as stored then)."""
    try:
        meta = _child(data, 0, len(data), b"meta")
        if meta is None:
            return None
        start, end = meta[0] + 4, meta[1]  # a full box: version and flags first
        pitm, iprp = _child(data, start, end, b"pitm"), _child(data, start, end, b"iprp")
        if pitm is None or iprp is None:
            return None
        primary = int.from_bytes(data[pitm[0] + 4:pitm[0] + (6 if data[pitm[0]] == 0 else 8)])
        ipco, ipma = _child(data, *iprp, b"ipco"), _child(data, *iprp, b"ipma")
        if ipco is None or ipma is None:
            return None
        properties = list(_boxes(data, *ipco))
        for index in _associations(data, *ipma, primary):
            if not 0 < index <= len(properties):  # 1-based; 0 means none
                continue
            kind, body, _ = properties[index - 1]
            if kind == b"colr" and data[body:body + 4] == b"nclx":
                colour, transfer, matrix = struct.unpack_from(">HHH", data, body + 4)
                return {"color_primaries": colour, "transfer_characteristics": transfer,
                        "matrix_coefficients": matrix, "full_range_flag": data[body + 10] >> 7}
    except (struct.error, IndexError):
        return None
    return None


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """The ISO-BMFF boxes in data[start:end]: (type, where its body starts, where it ends)."""
    while start + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, start)
        body = start + 8
        if size == 1:  # a 64-bit size follows
            size, body = struct.unpack_from(">Q", data, body)[0], body + 8
        elif size == 0:  # to the end
            size = end - start
        if size < body - start or start + size > end:
            return
        yield kind, body, start + size
        start += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((body, stop) for found, body, stop in _boxes(data, start, end)
                 if found == kind), None)


def _associations(data: bytes, ipma: int, end: int, item: int) -> list[int]:
    """The property indexes the ipma box data[ipma:end] (its body) gives `item`; none once
    an entry would pass its end (a count too big must not read the picture's bytes as
    entries, nor walk a 10 MB file: seconds)."""
    version, wide = data[ipma], data[ipma + 3] & 1
    count = int.from_bytes(data[ipma + 4:ipma + 8])
    at = ipma + 8
    for _ in range(count):
        id_size = 2 if version < 1 else 4
        if at + id_size + 1 > end:
            return []
        found = int.from_bytes(data[at:at + id_size])
        n, at = data[at + id_size], at + id_size + 1
        step = 2 if wide else 1
        if at + n * step > end:
            return []
        indexes = [int.from_bytes(data[at + i * step:at + (i + 1) * step]) & (0x7FFF if wide
                                                                              else 0x7F)
                   for i in range(n)]
        if found == item:
            return indexes
        at += n * step
    return []


@functools.lru_cache(maxsize=32)
def _nclx_profile(primaries: int, transfer: int) -> bytes:
    # Made once per pair (about 0.1 ms); the same bytes each time, so one transform is kept.
    return rgb_icc_profile(f"nclx {primaries}/{transfer}", _NCLX_PRIMARIES[primaries], D65,
                           _NCLX_CURVES[transfer])


def _xyz(xy: tuple[float, float]) -> np.ndarray:
    x, y = xy
    return np.array([x / y, 1.0, (1 - x - y) / y])


def _adapt(source_white: tuple[float, float], target_white: tuple[float, float]) -> np.ndarray:
    """Bradford chromatic adaptation, as ICC profiles and LittleCMS use it."""
    cone = _BRADFORD @ _xyz(target_white) / (_BRADFORD @ _xyz(source_white))
    return np.linalg.inv(_BRADFORD) @ np.diag(cone) @ _BRADFORD


def _rgb_to_xyz(primaries, white) -> np.ndarray:
    """Linear RGB -> XYZ under the space's own white (white maps to Y = 1)."""
    columns = np.stack([_xyz(p) for p in primaries], axis=1)
    return columns * np.linalg.solve(columns, _xyz(white))


def rgb_icc_profile(name: str, primaries, white: tuple[float, float],
                    curve: float | tuple[float, ...]) -> bytes:
    """An ICC v4 matrix/TRC RGB display profile, as phones and cameras embed (about 600 bytes):
    `primaries` red, green, blue and `white` as (x, y); `curve` a gamma or an ICC parametric
    curve (g, a, b, c, d) such as SRGB_CURVE."""
    def s15(*values: float) -> bytes:
        return b"".join(struct.pack(">i", round(v * 65536)) for v in values)

    def mluc(text: str) -> bytes:
        utf16 = text.encode("utf-16-be")
        return b"mluc\0\0\0\0" + struct.pack(">II4sII", 1, 12, b"enUS", len(utf16), 28) + utf16

    def xyz_tag(v) -> bytes:
        return b"XYZ \0\0\0\0" + s15(*v)

    colorants = _adapt(white, D50) @ _rgb_to_xyz(primaries, white)  # the PCS is D50
    params = (curve,) if isinstance(curve, float) else curve
    trc = b"para\0\0\0\0" + struct.pack(">HH", 0 if len(params) == 1 else 3, 0) + s15(*params)
    tags = [(b"desc", mluc(name)), (b"cprt", mluc("No copyright, use freely")),
            (b"wtpt", xyz_tag(_xyz(D50))), (b"rXYZ", xyz_tag(colorants[:, 0])),
            (b"gXYZ", xyz_tag(colorants[:, 1])), (b"bXYZ", xyz_tag(colorants[:, 2])),
            (b"rTRC", trc), (b"gTRC", trc), (b"bTRC", trc)]
    table, body = b"", b""
    start = 128 + 4 + 12 * len(tags)
    for signature, data in tags:
        table += signature + struct.pack(">II", start + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    header = (struct.pack(">I", start + len(body)) + b"\0" * 4 + bytes([4, 0x30, 0, 0])
              + b"mntrRGB XYZ " + b"\0" * 12 + b"acsp" + b"\0" * 28 + s15(*_xyz(D50)))
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + body
