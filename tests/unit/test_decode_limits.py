"""Hostile files cannot exhaust memory: every decoder runs in a child process whose address
space is capped (RLIMIT_AS) a little above its baseline, far below what a bomb would take."""
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from functools import cache
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /proc are Linux's")

ROOT = Path(__file__).resolve().parents[2]
HEADROOM = 512 << 20  # bytes above the child's baseline; the bomb needs 900 MB
BOMB_SIDE = 30_000  # 900 M gray pixels: under OpenCV's own 2**30 cap, 14x the 64 M limit
DECODERS = ("importer", "backend-path", "backend-bytes")

# The child caps its address space after its imports, then decodes each (decoder, file) pair
# and prints one JSON line per pair: the RGB shape or the exception's type and message.
_CHILD = r"""
import json, resource, sys
from pathlib import Path
import cv2
from imaging.decode import decode
from imaging.decode import decode_bytes, read_rgb

UNBOUNDED = 10**12
DECODE = {
    "importer": lambda p: decode(p).rgb,
    "backend-path": read_rgb,
    "backend-bytes": lambda p: decode_bytes(Path(p).read_bytes()),
    "importer-unbounded": lambda p: decode(p, max_pixels=UNBOUNDED).rgb,
    "backend-unbounded": lambda p: read_rgb(p, max_pixels=UNBOUNDED),
}
cv2.setNumThreads(1)  # worker thread stacks would count against the cap
with open("/proc/self/status") as status:
    baseline = next(int(l.split()[1]) << 10 for l in status if l.startswith("VmSize:"))
cap = baseline + int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
for decoder, path in json.loads(sys.argv[2]):
    try:
        result = {"shape": list(DECODE[decoder](path).shape)}
    except Exception as exc:
        result = {"error": type(exc).__name__, "reason": " ".join(str(exc).split())}
    print(json.dumps({"decoder": decoder, "file": path.rsplit("/", 1)[-1], **result}), flush=True)
print("done")
"""


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _png(width: int, height: int, idat: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit gray
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


@cache
def png_bomb(side: int, rows: int = 100) -> bytes:
    """A valid side×side all-black PNG under 1 MB: one deflated block of ``rows`` zero rows,
    full-flushed so it can be repeated, wrapped in a zlib header and the data's Adler-32."""
    raw = bytes((side + 1) * rows)  # each row: filter byte 0, then ``side`` zero pixels
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(raw) + deflate.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(side // rows):
        adler = zlib.adler32(raw, adler)
    stream = b"\x78\xda" + block * (side // rows) + b"\x03\x00" + struct.pack(">I", adler)
    return _png(side, side, stream)


def _encoded(fmt: str, **options) -> bytearray:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buf, fmt, **options)
    return bytearray(buf.getvalue())


def jpeg_claiming(width: int, height: int) -> bytes:
    data = _encoded("JPEG")
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_claiming(width: int, height: int) -> bytes:
    data = _encoded("GIF")
    data[6:10] = struct.pack("<HH", width, height)  # logical screen
    frame = data.index(b"\x2c", 13)  # image descriptor
    data[frame + 5:frame + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def bmp_claiming(width: int, height: int) -> bytes:
    data = _encoded("BMP")
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    data = _encoded("WEBP", lossless=True)
    assert data[12:16] == b"VP8L" and data[20] == 0x2F
    bits = struct.unpack("<I", data[21:25])[0] & ~0xFFF_FFFF | (width - 1) | (height - 1) << 14
    data[21:25] = struct.pack("<I", bits)
    return bytes(data)


def tiff_claiming(width: int, height: int) -> bytes:
    """An uncompressed 8-bit gray TIFF whose single strip holds 16 bytes."""
    tags = [(256, width), (257, height), (258, 8), (259, 1), (262, 1), (273, 8), (277, 1),
            (278, height), (279, 16)]
    ifd = struct.pack("<H", len(tags)) + b"".join(struct.pack("<HHII", tag, 4, 1, value)
                                                  for tag, value in tags) + bytes(4)
    return b"II*\0" + struct.pack("<I", 24) + bytes(16) + ifd


def good_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buf, "PNG")
    return buf.getvalue()


def truncated_png() -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((64, 64), 50).convert("RGB").save(buf, "PNG")
    data = buf.getvalue()
    return data[:len(data) // 2]


TOO_LARGE = "too large: {}x{} pixels exceeds limit 64000000"
# file name -> (content, reason every decoder gives; a dict where they differ)
HOSTILE = {
    "bomb.png": (lambda: png_bomb(BOMB_SIDE), TOO_LARGE.format(BOMB_SIDE, BOMB_SIDE)),
    "bomb_named.jpg": (lambda: png_bomb(BOMB_SIDE), TOO_LARGE.format(BOMB_SIDE, BOMB_SIDE)),
    "claims.png": (lambda: _png(100_000, 100_000, zlib.compress(bytes(64))),
                   TOO_LARGE.format(100_000, 100_000)),
    "huge.jpg": (lambda: jpeg_claiming(65500, 65500), TOO_LARGE.format(65500, 65500)),
    "huge.gif": (lambda: gif_claiming(65535, 65535), TOO_LARGE.format(65535, 65535)),
    "huge.bmp": (lambda: bmp_claiming(100_000, 100_000), TOO_LARGE.format(100_000, 100_000)),
    "huge.webp": (lambda: webp_claiming(16384, 16384), TOO_LARGE.format(16384, 16384)),
    "huge.tif": (lambda: tiff_claiming(65535, 65535), TOO_LARGE.format(65535, 65535)),
    "cut.png": (truncated_png, {"importer": "truncated image: image file is truncated",
                                "backend-path": "cannot decode image",
                                "backend-bytes": "cannot decode image bytes"}),
    "empty.png": (lambda: b"", "empty file"),
    "page.jpg": (lambda: b"<!DOCTYPE html><html><body>404</body></html>",
                 "not an image: looks like HTML"),
}


def run_child(pairs: list[tuple[str, Path]]) -> tuple[subprocess.CompletedProcess, dict]:
    """Decode ``pairs`` in a capped child; its results keyed by (decoder, file name)."""
    plan = json.dumps([[decoder, str(path)] for decoder, path in pairs])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
    child = subprocess.run([sys.executable, "-c", _CHILD, str(HEADROOM), plan], cwd=ROOT,
                           env=env, capture_output=True, text=True, timeout=300)
    lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
    results = {(r["decoder"], r["file"]): r for r in map(json.loads, lines)}
    return child, results


@pytest.fixture(scope="module")
def child(tmp_path_factory):
    """One capped child: every decoder over the hostile files then a good one, and last the
    bomb again with the pixel limit lifted (the control that shows the cap bites)."""
    folder = tmp_path_factory.mktemp("hostile")
    for name, (content, _) in HOSTILE.items():
        (folder / name).write_bytes(content())
    (folder / "good.png").write_bytes(good_png())
    names = [*HOSTILE, "good.png"]
    pairs = [(decoder, folder / name) for decoder in DECODERS for name in names]
    pairs += [(decoder, folder / "bomb.png") for decoder in ("importer-unbounded", "backend-unbounded")]
    return run_child(pairs)


def test_the_bomb_is_small_on_disk_and_real(tmp_path):
    data = png_bomb(2_000)  # same construction, small enough to decode here
    assert len(png_bomb(BOMB_SIDE)) < 1 << 20
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (2_000, 2_000) and im.getextrema() == (0, 0)


def test_child_survives_every_file(child):
    process, results = child
    assert process.returncode == 0, process.stderr[-2000:]
    assert process.stdout.splitlines()[-1] == "done"
    assert len(results) == len(DECODERS) * (len(HOSTILE) + 1) + 2


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_is_refused_with_its_reason(child, decoder, name):
    result = child[1][decoder, name]
    expected = HOSTILE[name][1]
    expected = expected[decoder] if isinstance(expected, dict) else expected
    assert result.get("error") in ("BadImage", "ValueError"), result  # BadImage is a ValueError
    assert result["reason"].startswith(expected), result


@pytest.mark.parametrize("decoder", DECODERS)
def test_good_file_decodes_after_the_bad_ones(child, decoder):
    assert child[1][decoder, "good.png"] == {"decoder": decoder, "file": "good.png",
                                             "shape": [48, 64, 3]}


@pytest.mark.parametrize("decoder", ["importer-unbounded", "backend-unbounded"])
def test_without_the_pixel_limit_the_bomb_exceeds_the_cap(child, decoder):
    result = child[1][decoder, "bomb.png"]
    out_of_memory = result.get("error") == "MemoryError" or (  # OpenCV raises cv2.error
        result.get("error") == "error" and "Insufficient memory" in result["reason"])
    assert out_of_memory, result
