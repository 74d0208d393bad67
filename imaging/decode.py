"""Decode one raw heap file into a ``Picture``, or say in one line why it cannot be used.

Content decides, not the file name: the first bytes are sniffed before Pillow sees the
file. The image size is checked from the header, before any pixel is decoded, so
decompression bombs never allocate memory (WebP's size is read before Pillow opens it, as
libwebp allocates the canvas on open); Pillow's own bomb guard is held to the same limit
while pixels load (multi-frame formats check each frame). Truncated files are rejected,
never half-loaded (``ImageFile.LOAD_TRUNCATED_IMAGES`` is left alone). ``open_checked``
is the header check alone; ``read_rgb`` and ``decode_bytes`` run it before decoding with
OpenCV (the ML backend's faster path for the PNGs the importer stored).
"""
from __future__ import annotations

import io
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 64_000_000
DEFAULT_MIN_SIDE = 8
_SNIFF_BYTES = 512
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
# (format, mode, raw mode) whose samples decode as stored: 8-bit RGB or grey in a lossless format
_AS_STORED = {("PNG", "RGB", "RGB"), ("PNG", "L", "L"), ("BMP", "RGB", "BGR"),
              ("TIFF", "RGB", "RGB"), ("TIFF", "L", "L")}
_LOSSY = {"JPEG", "MPO"}  # formats always compressed with loss (WebP: see _webp_lossy)
_LOSSLESS_TIFF = {"raw", "tiff_lzw", "tiff_adobe_deflate", "tiff_deflate", "packbits"}
ImageLike = np.ndarray | str | os.PathLike  # a decoded RGB array or an image file
_MARKUP = {b"<!doctype html": "HTML", b"<html": "HTML", b"<head": "HTML", b"<body": "HTML",
           b"<svg": "SVG (vector, not supported)", b"<?xml": "XML", b"{": "JSON"}


class BadImage(ValueError):
    """An unusable file; ``str(exc)`` is a one-line human reason."""


@dataclass
class Picture:
    """``rgb``: H×W×3 uint8, alpha composited on white; ``alpha``: H×W uint8 or None if opaque;
    ``format``: the file's format as Pillow names it (PNG, JPEG, ...), None when not decoded from one;
    ``as_stored``: ``rgb`` is the file's own samples, which any decoder reads alike (see ``decode``);
    ``lossy``: the file was compressed with loss (JPEG, lossy WebP), which rings round sharp edges."""

    rgb: np.ndarray
    alpha: np.ndarray | None
    format: str | None = None
    as_stored: bool = False
    lossy: bool = False


def sniff_text(head: bytes) -> str | None:
    """Name the text format ``head`` looks like (HTML, SVG, ...), or None for binary data."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for sign, kind in _MARKUP.items():
        if start.startswith(sign):
            return "SVG (vector, not supported)" if b"<svg" in start else kind
    if b"<html" in start:
        return "HTML"
    printable = sum(32 <= b < 127 or b in b"\t\r\n" for b in head)
    return "text" if head and printable == len(head) else None


@contextmanager
def _pillow_limit(limit: int | None):
    """Hold Pillow's global bomb limit at ``limit`` and make its bomb warning an error."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def open_checked(source: str | Path | BinaryIO, max_pixels: int = DEFAULT_MAX_PIXELS,
                 min_side: int = DEFAULT_MIN_SIDE) -> Image.Image:
    """Open a path or binary file lazily, after sniffing its content and checking the size its
    header claims; no pixel is decoded. The caller closes the image."""
    return _open_checked(source, _head(source), max_pixels, min_side)


def _open_checked(source: str | Path | BinaryIO, head: bytes, max_pixels: int, min_side: int) -> Image.Image:
    """``open_checked`` with the file's first bytes, ``head``, read already."""
    if not head:
        raise BadImage("empty file")
    kind = sniff_text(head)
    if kind and kind != "text":
        raise BadImage(f"not an image: looks like {kind}")
    if webp := _webp_size(head):  # libwebp allocates the canvas as soon as Pillow opens it
        _check_size(webp, max_pixels, 1)
    try:
        with _pillow_limit(None):  # header only: nothing decoded yet
            im = Image.open(source)
    except UnidentifiedImageError:
        raise BadImage(f"not an image: {'looks like text' if kind else 'unknown format'}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadImage(f"corrupt header: {_one_line(exc)}") from None
    try:
        _check_size(im.size, max_pixels, min_side)
    except BadImage:
        im.close()
        raise
    return im


def decode(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS,
           min_side: int = DEFAULT_MIN_SIDE) -> Picture:
    """Read ``path`` (first frame of animations, EXIF orientation applied) as a Picture."""
    head = _head(path)
    with _open_checked(path, head, max_pixels, min_side) as im:
        as_stored = _lossless_8bit(im)  # before loading, while the tiles name the raw mode
        try:
            with _pillow_limit(max_pixels):
                im.load()
                as_stored = as_stored and im.getexif().get(ExifTags.Base.Orientation, 1) not in range(2, 9)
                ImageOps.exif_transpose(im, in_place=True)  # no copy when upright
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise BadImage(f"too large: {_one_line(exc)}") from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            msg = _one_line(exc)
            label = "truncated" if "truncat" in msg or isinstance(exc, EOFError) else "corrupt"
            raise BadImage(f"{label} image: {msg}") from None
        picture = _to_picture(im)
        picture.format, picture.as_stored = im.format, as_stored
        picture.lossy = im.format in _LOSSY or (im.format == "WEBP" and _webp_lossy(head))
        return picture


def _lossless_8bit(im: Image.Image) -> bool:
    """Whether the opened ``im`` holds 8-bit RGB or grey samples, without transparency, in a
    lossless format (PNG, 24-bit BMP, TIFF not JPEG-compressed), one frame: read as they are
    by any decoder, with no palette, alpha, depth or colour conversion where two could differ."""
    raw = {t.args[0] if isinstance(t.args, tuple) else t.args for t in im.tile}
    return (len(raw) == 1 and (im.format, im.mode, *raw) in _AS_STORED and "transparency" not in im.info
            and (im.format != "TIFF" or im.info.get("compression") in _LOSSLESS_TIFF)
            and not getattr(im, "is_animated", False))  # which frame a reader takes may differ


def _head(source: str | Path | BinaryIO) -> bytes:
    """The first bytes of a path or binary file (whose position is left unchanged)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return f.read(_SNIFF_BYTES)
    start = source.tell()
    head = source.read(_SNIFF_BYTES)
    source.seek(start)
    return head


def _check_size(size: tuple[int, int], max_pixels: int, min_side: int) -> None:
    w, h = size
    if w * h > max_pixels:
        raise BadImage(f"too large: {w}x{h} pixels exceeds limit {max_pixels}")
    if min(w, h) < min_side:
        raise BadImage(f"too small: {w}x{h}")


def _webp_size(head: bytes) -> tuple[int, int] | None:
    """The canvas size a WebP header claims (lossy, lossless or extended), else None."""
    if len(head) < 30 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    chunk, le = head[12:16], lambda a, b: int.from_bytes(head[a:b], "little")
    if chunk == b"VP8X":
        return le(24, 27) + 1, le(27, 30) + 1
    if chunk == b"VP8L" and head[20] == 0x2F:
        return (le(21, 25) & 0x3FFF) + 1, (le(21, 25) >> 14 & 0x3FFF) + 1
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        return le(26, 28) & 0x3FFF, le(28, 30) & 0x3FFF
    return None


def _webp_lossy(head: bytes) -> bool:
    """Whether the WebP whose first bytes are ``head`` holds a lossy (VP8) image rather than a
    lossless (VP8L) one; False when its image chunk lies past ``head`` (a large colour profile
    or alpha chunk first, an animation)."""
    pos = 12
    while pos + 8 <= len(head):
        chunk, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if chunk in (b"VP8 ", b"VP8L"):
            return chunk == b"VP8 "
        pos += 8 + size + size % 2  # chunks are padded to an even size
    return False


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _to_picture(im: Image.Image) -> Picture:
    """Convert any Pillow mode to RGB on white plus an optional alpha plane."""
    if im.mode.startswith("I;16"):
        im = Image.fromarray(_to_uint8(np.asarray(im), bits=16))
    elif im.mode in ("I", "F"):
        im = Image.fromarray(_to_uint8(np.asarray(im)))
    if im.mode in _ALPHA_MODES or "transparency" in im.info:
        rgba = np.asarray(im.convert("RGBA"))
        alpha = rgba[..., 3]
        if alpha.min() < 255:
            return Picture(_on_white(rgba[..., :3], alpha), np.ascontiguousarray(alpha))
        return Picture(np.ascontiguousarray(rgba[..., :3]), None)
    return Picture(np.array(im if im.mode == "RGB" else im.convert("RGB")), None)


def _to_uint8(values: np.ndarray, bits: int | None = None) -> np.ndarray:
    """Scale gray samples to 0..255: by ``bits`` when known, else as 8/16-bit ints or by range."""
    is_int = values.dtype.kind in "iu"
    values = values.astype(np.float64)
    low, top = values.min(initial=0), values.max(initial=0)
    if bits is None and is_int and low >= 0 and top <= 65535:
        bits = 8 if top <= 255 else 16
    if bits:
        low, scale = 0.0, 255 / (2**bits - 1)
    else:
        scale = 255 / max(top - low, 1e-12)
    return np.clip((values - low) * scale + 0.5, 0, 255).astype(np.uint8)


def _on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite ``rgb`` over white with ``alpha`` (both uint8)."""
    a = alpha.astype(np.uint16)[..., None]
    return ((rgb.astype(np.uint16) * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def read_rgb(image: ImageLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """An RGB uint8 array from an array (passed through) or an image file (alpha on white)."""
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an H×W×3 uint8 array, got {image.shape} {image.dtype}")
        return image
    _check_header(image, max_pixels)
    raw = cv2.imread(os.fspath(image), cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise ValueError(f"cannot decode image {image}")
    return decoded_to_rgb(raw)


def decode_bytes(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """An RGB uint8 array from encoded image bytes."""
    _check_header(io.BytesIO(data), max_pixels)
    raw = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise ValueError("cannot decode image bytes")
    return decoded_to_rgb(raw)


def _check_header(source, max_pixels: int) -> None:
    """Raise ``BadImage`` (a ValueError) before OpenCV allocates pixels for a file that is empty,
    not an image Pillow knows, or whose header claims more than ``max_pixels``."""
    open_checked(source, max_pixels, min_side=1).close()


def decoded_to_rgb(raw: np.ndarray) -> np.ndarray:
    """OpenCV's decoded gray/BGR/BGRA array as RGB uint8, alpha composited on white."""
    if raw.dtype != np.uint8:
        raw = (raw / 257).astype(np.uint8) if raw.dtype == np.uint16 else raw.astype(np.uint8)
    if raw.ndim == 2:
        return cv2.cvtColor(raw, cv2.COLOR_GRAY2RGB)
    if raw.shape[2] == 4:
        alpha = raw[:, :, 3:].astype(np.float32) / 255.0
        bgr = raw[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        raw = np.round(bgr).astype(np.uint8)
    return cv2.cvtColor(raw, cv2.COLOR_BGR2RGB)
