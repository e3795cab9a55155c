"""Colours of the pictures shown: a photo's colour profile (embedded ICC, one made from a
HEIC's or AVIF's nclx colour description or a PNG's cICP chunk, or Adobe RGB for a camera JPEG
that says so in its EXIF) carried through images.decode(display_edge=...), and the conversion
of the small picture shown to sRGB, as screens and Qt take its numbers; an HDR picture's (PQ,
HLG) is tone-mapped to SDR instead, which a profile cannot do.

Display only: codes are made from a file's numbers as stored, whatever its profile (converting
those would change the codes of every library already indexed).
"""

from __future__ import annotations

import functools
import io
import struct
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import xxhash
from PIL import Image

from .heif_boxes import child, item_properties, primary_item

if TYPE_CHECKING:  # imported when a profile is met: a Pillow without littlecms lacks it
    from PIL import ImageCms


@dataclass(frozen=True)
class HdrColours:
    """An HDR picture's colour description (H.273 code points): primaries 1, 9 or 12 and
    transfer 16 (PQ) or 18 (HLG). Carried in info[HDR_KEY] on the display path."""

    primaries: int
    transfer: int


HDR_KEY = "lookalike_hdr_colours"


def display_profile(image: Image.Image, data: bytes) -> bytes | HdrColours | None:
    """The ICC profile for showing an RGB or palette picture: the one its file embeds, or else
    the one its colour description stands for (a HEIC's or AVIF's nclx, a PNG's cICP, which
    comes before an embedded profile when understood), or Adobe RGB for a camera JPEG whose
    EXIF says so; HdrColours when that description says PQ or HLG, a gray picture's too (a
    gray PNG, a monochrome HEIC: as stored, it looks washed out); None for any other
    picture (a CMYK file's profile is used by images._cmyk_to_rgb already, a gray one's
    changes little)."""
    gray = image.mode in _GRAY_MODES  # only an HDR description matters: made RGB as it is
    if image.mode not in ("RGB", "RGBA", "RGBX", "P", "PA") and not gray:
        return None
    if image.format == "PNG":
        cicp = _png_cicp(data)
        if cicp is not None and _cicp_understood(cicp):  # before iCCP, as PNG 3rd edition says
            return _hdr_only(_nclx_colours(cicp)) if gray else _nclx_colours(cicp)
    profile = image.info.get("icc_profile")
    if isinstance(profile, bytes):  # the header's colour space
        return profile if profile[16:20] == b"RGB " and not gray else None
    # pillow-heif gives the nclx box; Pillow's own AVIF plugin drops it: read from the file.
    nclx = image.info.get("nclx_profile")
    if nclx is None and image.format == "AVIF":
        nclx = _avif_nclx(data)
    if nclx is not None:
        return _hdr_only(_nclx_colours(nclx)) if gray else _nclx_colours(nclx)
    if gray:
        return None
    if image.format in ("JPEG", "MPO") and _exif_says_adobe_rgb(image):
        return adobe_rgb_profile()
    return None


_GRAY_MODES = ("L", "LA", "La", "I", "I;16", "I;16B", "I;16L")


def _hdr_only(colours: bytes | HdrColours | None) -> HdrColours | None:
    return colours if isinstance(colours, HdrColours) else None


def with_display_profile(result: tuple[Image.Image, int, int], display_edge: int | None,
                         profile: bytes | HdrColours | None) -> tuple[Image.Image, int, int]:
    """On the display path, the picture carries the file's RGB profile (or none) in its info,
    or an HDR picture its HdrColours."""
    if display_edge is not None:
        result[0].info.pop("icc_profile", None)  # convert() copies a gray or CMYK one
        result[0].info.pop(HDR_KEY, None)
        if isinstance(profile, HdrColours):
            result[0].info[HDR_KEY] = profile
        elif profile is not None:
            result[0].info["icc_profile"] = profile
    return result


def to_srgb_for_display(image: Image.Image) -> Image.Image:
    """A picture from decode(display_edge=...) in sRGB, as screens and Qt take its numbers: a
    Display P3 (phones), Adobe RGB (cameras) or ProPhoto (Lightroom) photo shown as stored looks
    dull or off-hue. Meant for the small picture shown: about 17 ns a pixel here, 0.3 ms for a
    160-pixel thumbnail. The profile is the one display_profile gives: the file's own, one made
    from its nclx or cICP colour description, or Adobe RGB said by a camera JPEG's EXIF (decode
    puts it in info["icc_profile"]); an HDR picture (info[HDR_KEY]) is
    tone-mapped instead. The same picture is returned when it has no RGB profile, an sRGB one,
    or a broken one."""
    hdr = image.info.get(HDR_KEY)
    if isinstance(hdr, HdrColours) and image.mode == "RGB":
        return tone_map_to_srgb(image, hdr)
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
# fit an SDR screen, which a profile cannot do: tone_map_to_srgb does it. BT.709's,
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


def _nclx_colours(nclx: object) -> bytes | HdrColours | None:
    """What an nclx colour description is shown by: HdrColours for PQ or HLG with primaries
    known here, else the profile nclx_icc_profile makes (or None)."""
    if isinstance(nclx, dict) and nclx.get("transfer_characteristics") in _HDR_CURVES \
            and nclx.get("color_primaries") in _HDR_PRIMARIES:
        return HdrColours(nclx["color_primaries"], nclx["transfer_characteristics"])
    return nclx_icc_profile(nclx)


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


_HDR_CURVES = (16, 18)  # PQ, HLG: tone-mapped by tone_map_to_srgb


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
        meta = child(data, 0, len(data), b"meta")
        if meta is None:
            return None
        start, end = meta[0] + 4, meta[1]  # a full box: version and flags first
        pitm, iprp = child(data, start, end, b"pitm"), child(data, start, end, b"iprp")
        if pitm is None or iprp is None:
            return None
        found = item_properties(data, iprp, primary_item(data, pitm[0]))
        if found is None:
            return None
        for kind, body, _ in found:
            if kind == b"colr" and data[body:body + 4] == b"nclx":
                colour, transfer, matrix = struct.unpack_from(">HHH", data, body + 4)
                return {"color_primaries": colour, "transfer_characteristics": transfer,
                        "matrix_coefficients": matrix, "full_range_flag": data[body + 10] >> 7}
    except (struct.error, IndexError):
        return None
    return None


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


# -- HDR pictures tone-mapped to SDR -----------------------------------------------------------
# A PQ (SMPTE ST 2084) or HLG (ARIB STD-B67) picture shown as stored looks washed out and flat.
# Its numbers are decoded to display light (cd/m2), converted to BT.709/sRGB primaries, and the
# brightness fitted to an SDR screen by the BT.2390 EETF with HDR reference white (203 cd/m2,
# BT.2408) as the SDR screen's white: tones up to about 90 cd/m2 (shadows, mid-tones, skin) stay
# as BT.2408 puts them and only highlights roll off, where a Reinhard curve would dim the whole
# picture (reference white shown at half). Numpy on the small picture shown only: the decoders
# give 8 bits (pillow-heif and Pillow's AVIF plugin scale 10-bit files down, Pillow keeps a
# 16-bit PNG's high bytes), so smooth gradients show steps of up to 3 levels (2 for HLG): fine
# for thumbnails; a 16-bit decode for display would cost a second decode of the file.

REFERENCE_WHITE = 203.0  # cd/m2: HDR's diffuse white (BT.2408), shown as the screen's white
# The brightest the tone curve keeps apart: HLG's reference display, and what PQ photos are
# mostly graded for (their mastering boxes are not read); brighter PQ highlights clip to white.
SOURCE_PEAK = 1000.0
HLG_GAMMA = 1.2  # BT.2100's reference OOTF for a 1000 cd/m2 display (no black level lift)

BT709_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))
_HDR_PRIMARIES = {1: BT709_PRIMARIES, **_NCLX_PRIMARIES}

_PQ_M1, _PQ_M2 = 2610 / 16384, 2523 / 4096 * 128
_PQ_C1, _PQ_C2, _PQ_C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
_HLG_A = 0.17883277
_HLG_B, _HLG_C = 1 - 4 * _HLG_A, 0.5 - _HLG_A * float(np.log(4 * _HLG_A))


def pq_to_nits(signal: np.ndarray) -> np.ndarray:
    """The PQ EOTF: signal 0..1 -> display light, 0..10000 cd/m2."""
    p = np.power(signal, 1 / _PQ_M2)
    return 10000 * np.power(np.maximum(p - _PQ_C1, 0) / (_PQ_C2 - _PQ_C3 * p), 1 / _PQ_M1)


def nits_to_pq(nits: np.ndarray) -> np.ndarray:
    y = np.power(np.asarray(nits) / 10000, _PQ_M1)
    return np.power((_PQ_C1 + _PQ_C2 * y) / (1 + _PQ_C3 * y), _PQ_M2)


def hlg_to_scene(signal: np.ndarray) -> np.ndarray:
    """The HLG inverse OETF: signal 0..1 -> scene light 0..1."""
    high = (np.exp((np.maximum(signal, 0.5) - _HLG_C) / _HLG_A) + _HLG_B) / 12
    return np.where(signal <= 0.5, signal * signal / 3, high)


_LEVELS_256 = np.arange(256) / 255
_DECODE = {16: pq_to_nits(_LEVELS_256).astype(np.float32),  # stored 8-bit value -> light
           18: hlg_to_scene(_LEVELS_256).astype(np.float32)}

# The EETF in PQ signal, the source's black (0) to peak spanning 0..1 (BT.2390, 5.4).
_PEAK_PQ = float(nits_to_pq(SOURCE_PEAK))
_MAX_LUM = float(nits_to_pq(REFERENCE_WHITE)) / _PEAK_PQ
_KNEE = 1.5 * _MAX_LUM - 0.5


def eetf(nits: np.ndarray) -> np.ndarray:
    """Display light (cd/m2) -> display light at most REFERENCE_WHITE: unchanged up to the
    knee, then a Hermite spline to SOURCE_PEAK; brighter clips."""
    e = np.minimum(nits_to_pq(nits) / _PEAK_PQ, 1)
    t = (e - _KNEE) / (1 - _KNEE)
    t2 = t * t  # products, not t**3: a power of a negative float is 30 times slower
    t3 = t2 * t
    spline = ((2 * t3 - 3 * t2 + 1) * _KNEE + (t3 - 2 * t2 + t) * (1 - _KNEE)
              + (3 * t2 - 2 * t3) * _MAX_LUM)
    return pq_to_nits(np.where(e < _KNEE, e, spline) * _PEAK_PQ)


@functools.cache
def _hdr_matrices(primaries: int) -> tuple[np.ndarray, np.ndarray]:
    """(linear RGB -> BT.709 linear RGB, transposed; the luminance row), same D65 white."""
    to_xyz = _rgb_to_xyz(_HDR_PRIMARIES[primaries], D65)
    to_bt709 = np.linalg.inv(_rgb_to_xyz(BT709_PRIMARIES, D65)) @ to_xyz
    return to_bt709.T.astype(np.float32), to_xyz[1].astype(np.float32)


@functools.cache
def _srgb_encode_table() -> np.ndarray:
    """Linear 0..1 in 65536 steps -> 8-bit sRGB: a lookup, finer than one level anywhere."""
    v = np.linspace(0, 1, 65536)
    encoded = np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1 / 2.4) - 0.055)
    return np.rint(encoded * 255).astype(np.uint8)


def tone_map_to_srgb(image: Image.Image, hdr: HdrColours) -> Image.Image:
    """An 8-bit RGB picture stored in PQ or HLG with `hdr`'s primaries, in SDR sRGB: light
    by the curve (PQ absolute; HLG through BT.2100's reference OOTF for a 1000 cd/m2 display),
    BT.709 primaries, the EETF on max(R, G, B) (hues kept), out-of-gamut clipped."""
    to_bt709, luminance = _hdr_matrices(hdr.primaries)
    light = np.take(_DECODE[hdr.transfer], np.asarray(image))  # H x W x 3, float32
    if hdr.transfer == 18:  # scene light -> display light: Lw * Ys^(gamma - 1) * E
        light *= SOURCE_PEAK * np.power(light @ luminance, HLG_GAMMA - 1)[..., None]
    light = light @ to_bt709
    # max(R, G, B) pairwise: max(axis=-1) over 3 values is 40 times slower
    peak = np.maximum(np.maximum(light[..., 0], light[..., 1]), np.maximum(light[..., 2], 0))
    light *= (eetf(peak) / (np.maximum(peak, 1e-6) * REFERENCE_WHITE))[..., None]  # 0 stays 0
    np.clip(light, 0, 1, out=light)
    # np.take: a third faster than indexing with the array
    return Image.fromarray(np.take(_srgb_encode_table(), np.rint(light * 65535).astype(np.uint16)),
                           "RGB")
