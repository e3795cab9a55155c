"""Colours of the pictures shown: a photo's colour profile (embedded ICC, one made from a
HEIC's or AVIF's nclx colour description or a PNG's cICP chunk, or Adobe RGB for a camera JPEG
that says so in its EXIF) carried through images.decode(display_edge=...), and the conversion
of the small picture shown to sRGB, as screens and Qt take its numbers.

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
    """The ICC profile for showing an RGB or palette picture: the one its file embeds, or else
    the one its colour description stands for (a HEIC's or AVIF's nclx, a PNG's cICP, which
    comes before an embedded profile when understood), or Adobe RGB for a camera JPEG whose
    EXIF says so; None for any other picture (a CMYK file's profile is used by
    images._cmyk_to_rgb already, a gray one's changes little)."""
    if image.mode not in ("RGB", "RGBA", "RGBX", "P", "PA"):
        return None
    if image.format == "PNG":
        cicp = _png_cicp(data)
        if cicp is not None and _cicp_understood(cicp):  # before iCCP, as PNG 3rd edition says
            return nclx_icc_profile(cicp)
    profile = image.info.get("icc_profile")
    if isinstance(profile, bytes):
        return profile if profile[16:20] == b"RGB " else None  # the header's colour space
    # pillow-heif gives the nclx box; Pillow's own AVIF plugin drops it: read from the file.
    nclx = image.info.get("nclx_profile")
    if nclx is None and image.format == "AVIF":
        nclx = _avif_nclx(data)
    if nclx is not None:
        return nclx_icc_profile(nclx)
    if image.format in ("JPEG", "MPO") and _exif_says_adobe_rgb(image):
        return adobe_rgb_profile()
    return None


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
# which pillow-heif gives as info["nclx_profile"], a dict) instead of an ICC profile, and PNG
# files by the same code points in a cICP chunk: phones and exporters write Display P3 or
# BT.2020 that way. The matching ICC profile is made here, so those pictures go through the
# same transforms as embedded profiles.

D65, D50 = (0.3127, 0.3290), (0.3457, 0.3585)
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367],
                      [0.0389, -0.0685, 1.0296]])
# ICC parametric curves (type 3: g, a, b, c, d), from stored value to linear light.
SRGB_CURVE = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)

# colour_primaries -> red, green, blue (x, y), all with a D65 white. 1 (BT.709) has the sRGB
# primaries: shown as stored, as before. Others (BT.601, DCI white...) are rare in photos.
_NCLX_PRIMARIES = {
    9: ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)),  # BT.2020
    12: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)),  # Display P3 (SMPTE EG 432-1)
}
# transfer_characteristics -> curve, SDR ones only. HDR (16 PQ, 18 HLG) needs tone mapping to
# fit an SDR screen, which a profile cannot do: those pictures are shown as stored. BT.709's,
# BT.601's and BT.2020's (1, 6, 14, 15), camera curves, are shown with sRGB's whatever the
# primaries, as Chrome does (ui/gfx/color_space.cc): that is how they look on the screens they
# are made on, and BT.709 with BT.709 primaries stays exactly as stored. The inverted camera
# curve lifted dark tones by up to 16 levels (32 shown as 48).
_NCLX_CURVES: dict[int, str] = {13: "sRGB", 1: "sRGB", 6: "sRGB", 14: "sRGB", 15: "sRGB",
                                4: "gamma 2.2", 5: "gamma 2.8"}
_CURVES: dict[str, float | tuple[float, ...]] = {"sRGB": SRGB_CURVE, "gamma 2.2": 2.2,
                                                 "gamma 2.8": 2.8}


def nclx_icc_profile(nclx: object) -> bytes | None:
    """The ICC profile for an nclx colour description as pillow-heif gives it (a dict with
    color_primaries and transfer_characteristics); None when the picture needs no conversion
    (BT.709/sRGB primaries) or cannot be converted (HDR, unknown or unspecified code points)."""
    if not isinstance(nclx, dict):
        return None
    primaries, transfer = nclx.get("color_primaries"), nclx.get("transfer_characteristics")
    if primaries not in _NCLX_PRIMARIES or transfer not in _NCLX_CURVES:
        return None
    return _nclx_profile(primaries, _NCLX_CURVES[transfer])


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_cicp(data: bytes) -> dict[str, int] | None:
    """A PNG's cICP chunk (H.273 code points, 4 bytes) in pillow-heif's nclx keys; Pillow does
    not read it (and refuses a file whose chunks' CRCs are wrong). Walks the chunks before the
    picture's (IDAT) only, where cICP must be. None when there is none, or it is in error (its
    matrix must be 0, RGB): the file's other colour chunks then stand."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    at = len(_PNG_SIGNATURE)
    while at + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        if kind in (b"IDAT", b"IEND"):
            return None
        if kind == b"cICP":
            body = data[at + 8:at + 12]
            if length != 4 or body[2] != 0 or body[3] > 1:
                return None
            return {"color_primaries": body[0], "transfer_characteristics": body[1],
                    "matrix_coefficients": body[2], "full_range_flag": body[3]}
        at += 12 + length
    return None


_HDR_CURVES = (16, 18)  # PQ, HLG: known, and shown as stored (no tone mapping here)


def _cicp_understood(cicp: dict[str, int]) -> bool:
    """Whether a cICP chunk says what this module knows how to show: "if understood by the
    decoder", the PNG 3rd edition says, it comes before the other colour chunks. Narrow-range
    RGB (its levels would need stretching first) and code points not known here leave the
    embedded profile standing, as in Chrome (Skia's PNG decoder)."""
    return (cicp["full_range_flag"] == 1 and cicp["color_primaries"] in (1, *_NCLX_PRIMARIES)
            and cicp["transfer_characteristics"] in (*_NCLX_CURVES, *_HDR_CURVES))


# -- Adobe RGB said in EXIF --------------------------------------------------------------------
# Cameras set to Adobe RGB often embed no profile: by the DCF convention their EXIF ColorSpace
# says "uncalibrated" (0xFFFF) and its Interoperability IFD's index "R03"; some write the
# unofficial ColorSpace 2 instead (read as Adobe RGB by darktable and Geeqie too).
ADOBE_RGB_PRIMARIES = ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06))
ADOBE_RGB_GAMMA = 563 / 256  # 2.19921875, as Adobe RGB (1998) specifies it
_EXIF_IFD, _INTEROP_IFD, _COLOR_SPACE, _INTEROP_INDEX = 0x8769, 0xA005, 0xA001, 0x0001


def _exif_says_adobe_rgb(image: Image.Image) -> bool:
    if "exif" not in image.info:
        return False
    try:
        exif = image.getexif()  # kept by Pillow: the orientation read next costs nothing more
        colour_space = exif.get_ifd(_EXIF_IFD).get(_COLOR_SPACE)
        index = exif.get_ifd(_INTEROP_IFD).get(_INTEROP_INDEX) if colour_space == 0xFFFF else ""
    except Exception:  # noqa: BLE001 - broken EXIF must not cost the picture: shown as stored
        return False
    return colour_space == 2 or (isinstance(index, str) and index.rstrip("\0 ") == "R03")


@functools.cache
def adobe_rgb_profile() -> bytes:
    return rgb_icc_profile("Adobe RGB (1998), from EXIF", ADOBE_RGB_PRIMARIES, D65,
                           ADOBE_RGB_GAMMA)


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
def _nclx_profile(primaries: int, curve: str) -> bytes:
    # Made once per pair (about 0.1 ms); the same bytes each time, so one transform is kept.
    return rgb_icc_profile(f"nclx {primaries}, {curve} curve", _NCLX_PRIMARIES[primaries], D65,
                           _CURVES[curve])


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
