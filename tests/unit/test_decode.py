"""decode(): every kind of broken file gets a one-line reason; odd modes come out as RGB."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from imaging.decode import BadImage, Picture, decode


def _save(tmp_path, name, im, **kw):
    path = tmp_path / name
    im.save(path, **kw)
    return path


def _reason(path, **kw):
    with pytest.raises(BadImage) as info:
        decode(path, **kw)
    reason = str(info.value)
    assert reason and "\n" not in reason
    return reason


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    assert _reason(path) == "empty file"


def test_html_saved_as_jpg(tmp_path):
    path = tmp_path / "page.jpg"
    path.write_bytes(b"\n  <!DOCTYPE html><html><body>403 Forbidden</body></html>")
    assert _reason(path) == "not an image: looks like HTML"


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.png"
    path.write_bytes(bytes(range(256)) * 4)
    assert _reason(path).startswith("not an image")


def test_truncated_jpeg(tmp_path):
    noise = np.random.default_rng(0).integers(0, 255, (200, 200, 3), np.uint8)
    full = _save(tmp_path, "full.jpg", Image.fromarray(noise), quality=90).read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(full[: len(full) // 2])
    assert _reason(path).startswith("truncated")


def test_one_pixel(tmp_path):
    path = _save(tmp_path, "dot.png", Image.new("RGB", (1, 1), "red"))
    assert _reason(path) == "too small: 1x1"
    assert decode(path, min_side=1).rgb.shape == (1, 1, 3)


def _png_header_only(width, height):
    """A PNG whose header claims ``width``×``height`` but whose data is tiny."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused_from_header(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(100_000, 100_000))
    pillows_own = Image.MAX_IMAGE_PIXELS
    assert _reason(path) == "too large: 100000x100000 pixels exceeds limit 64000000"
    assert _reason(path, max_pixels=1000).startswith("too large: 100000x100000")
    small = tmp_path / "small.png"
    Image.new("RGB", (40, 20)).save(small)
    assert decode(small, max_pixels=1000).rgb.shape == (20, 40, 3)  # decoded under a limit of 1000
    assert Image.MAX_IMAGE_PIXELS == pillows_own, "Pillow's global limit is restored"


def test_cmyk_jpeg(tmp_path):
    im = Image.new("CMYK", (32, 16), (0, 255, 255, 0))  # pure red in CMYK
    pic = decode(_save(tmp_path, "cmyk.jpg", im, quality=95))
    assert pic.rgb.shape == (16, 32, 3) and pic.alpha is None
    r, g, b = pic.rgb[8, 16].astype(int)
    assert r > 200 and g < 60 and b < 60


def test_sixteen_bit_gray(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (16, 1))
    pic = decode(_save(tmp_path, "deep.png", Image.fromarray(ramp)))
    assert pic.rgb.dtype == np.uint8 and pic.rgb.shape == (16, 64, 3)
    assert pic.rgb[0, 0, 0] == 0 and pic.rgb[0, -1, 0] == 255 and 120 < pic.rgb[0, 32, 0] < 135


def test_palette_with_transparency_composited_on_white(tmp_path):
    im = Image.new("P", (16, 16), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.paste(1, (4, 4, 12, 12))
    im.info["transparency"] = 0
    pic = decode(_save(tmp_path, "pal.png", im, transparency=0))
    assert pic.alpha is not None and pic.alpha[0, 0] == 0 and pic.alpha[8, 8] == 255
    assert tuple(pic.rgb[0, 0]) == (255, 255, 255) and tuple(pic.rgb[8, 8]) == (255, 0, 0)


def test_opaque_rgba_has_no_alpha(tmp_path):
    pic = decode(_save(tmp_path, "opaque.png", Image.new("RGBA", (9, 9), (1, 2, 3, 255))))
    assert isinstance(pic, Picture) and pic.alpha is None and tuple(pic.rgb[0, 0]) == (1, 2, 3)


def test_exif_rotation(tmp_path):
    im = Image.new("RGB", (40, 20), "white")
    im.paste((0, 0, 0), (0, 0, 10, 10))  # black square top-left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    pic = decode(_save(tmp_path, "rot.jpg", im, exif=exif, quality=95))
    assert pic.rgb.shape == (40, 20, 3)
    assert pic.rgb[2, -3].max() < 60 and pic.rgb[-3, 2].min() > 200  # now top-right


def test_animated_gif_first_frame(tmp_path):
    frames = [Image.new("RGB", (12, 12), c) for c in ("blue", "yellow", "green")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)
    r, g, b = decode(path).rgb[6, 6].astype(int)
    assert b > 200 and r < 60 and g < 60


def test_grayscale_and_la(tmp_path):
    pic = decode(_save(tmp_path, "gray.png", Image.new("L", (10, 10), 77)))
    assert tuple(pic.rgb[0, 0]) == (77, 77, 77)
    la = Image.new("LA", (10, 10), (0, 0))
    la.paste((0, 255), (0, 0, 5, 10))
    pic = decode(_save(tmp_path, "la.png", la))
    assert tuple(pic.rgb[0, 0]) == (0, 0, 0) and tuple(pic.rgb[0, 9]) == (255, 255, 255)
    assert pic.alpha[0, 9] == 0


def test_extension_is_ignored(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (10, 10), "white").save(buf, "PNG")
    path = tmp_path / "really_png.jpg"
    path.write_bytes(buf.getvalue())
    assert decode(path).rgb.shape == (10, 10, 3)


def test_lossy_says_which_files_were_compressed_with_loss(tmp_path):
    """JPEG and lossy WebP (a VP8 chunk, after an alpha chunk too) are lossy; PNG and
    lossless WebP (VP8L) are not."""
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[10:30, 10:50] = (200, 40, 40, 255)
    im = Image.fromarray(rgba)
    files = {"a.jpg": ("JPEG", {}), "b.png": ("PNG", {}), "c.webp": ("WEBP", {"quality": 80}),
             "d.webp": ("WEBP", {"lossless": True}), "e.webp": ("WEBP", {"quality": 80, "alpha": True})}
    for name, (fmt, args) in files.items():
        alpha = args.pop("alpha", False)
        (im if alpha else im.convert("RGB")).save(tmp_path / name, fmt, **args)
    assert {name: decode(tmp_path / name).lossy for name in files} == {
        "a.jpg": True, "b.png": False, "c.webp": True, "d.webp": False, "e.webp": True}
