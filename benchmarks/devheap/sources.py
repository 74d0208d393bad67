"""Real source material for the development heap: Debian packages, or a fallback that
ships inside installed Python packages (matplotlib) and needs no download."""
from __future__ import annotations

import logging
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from .sets import DEV, SYMBOL_RANGES, SourceSet, Style

log = logging.getLogger("devheap")

CACHE = Path(__file__).resolve().parents[2] / "data" / "cache"

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
PHOTO_SIDE = 1200  # photos are kept in memory at most this large
MIN_PHOTO_STD = 12  # grey-level spread below which a wallpaper counts as plain
PHOTO_DIRS = re.compile(r"background|wallpaper", re.I)
SPRITE_SUFFIXES = {".png", ".gif"}
SPRITE_SIDE = 256  # a picture larger than this on a side is a sheet of sprites
MAX_SHEET_INK = 0.7  # a keyed "sheet" with more ink than this share is a picture
MAX_SHEET_FRAMES = 200
SIZE_NAME = re.compile(r"^\d+x\d+$")
SPRITE_SKIP = re.compile(r"txt|text|font|background|/bg|title|menu|screenshot", re.I)


@dataclass(frozen=True)
class FontSource:
    """One font file and the distinct glyphs worth rendering from it."""
    package: str
    path: Path
    codepoints: tuple[int, ...]


@dataclass(frozen=True)
class SpriteRef:
    """A sprite: a whole PNG, or one frame (x, y, w, h) of a real sprite sheet."""
    package: str
    path: Path
    frame: tuple[int, int, int, int] | None = None
    key: tuple[int, int, int] | None = None  # the sheet's transparent colour, if it has one


@dataclass
class Sources:
    """Everything the generator draws from, grouped by kind, in a stable order."""
    fonts: list[FontSource] = field(default_factory=list)
    text_fonts: list[Path] = field(default_factory=list)
    icons: dict[str, list[Path]] = field(default_factory=dict)  # theme -> icon files
    photos: list[Path] = field(default_factory=list)
    sprites: dict[str, list[SpriteRef]] = field(default_factory=dict)  # package -> sprites
    texts: list[str] = field(default_factory=list)
    packages: dict[str, int] = field(default_factory=dict)  # package -> .deb bytes
    style: Style = DEV.style

    def check(self) -> None:
        """Fail clearly when a whole kind of material is missing."""
        kinds = {"fonts": self.fonts, "text fonts": self.text_fonts, "icons": self.icons,
                 "photos": self.photos, "sprites": self.sprites, "texts": self.texts}
        missing = [k for k, v in kinds.items() if not v]
        if missing:
            raise RuntimeError(f"devheap: no source for {', '.join(missing)}")


# --- Debian packages -------------------------------------------------------------------

def fetch_package(name: str, cache: Path = CACHE) -> tuple[Path, int] | None:
    """Download and extract one .deb into the cache (once); None when unavailable."""
    root = cache / "root" / name
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{name}_*.deb"))
    if not found:
        cmd = ["apt-get", "download", "-o", "APT::Sandbox::User=root", name]
        run = subprocess.run(cmd, cwd=debs, capture_output=True, text=True)
        if run.returncode and "Unable to locate" in run.stderr:
            subprocess.run(["apt-get", "update"], capture_output=True)
            run = subprocess.run(cmd, cwd=debs, capture_output=True, text=True)
        found = sorted(debs.glob(f"{name}_*.deb"))
        if run.returncode or not found:
            log.warning("skipping package %s: %s", name, run.stderr.strip()[-200:])
            return None
    if not (root / ".done").exists():
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(root)], check=True)
        (root / ".done").touch()
    return root, found[-1].stat().st_size


def debian_sources(kit: SourceSet = DEV, cache: Path = CACHE) -> Sources:
    """Fetch every package of ``kit`` (skipping unavailable ones) and index its material."""
    src = Sources(style=kit.style)
    roots = {}
    for name in sorted(kit.packages()):
        got = fetch_package(name, cache)
        if got:
            roots[name], src.packages[name] = got
    for pkg, fname, ranges in kit.fonts:
        if pkg in roots:
            path = _find(roots[pkg], fname)
            if path:
                src.fonts.append(FontSource(pkg, path, glyph_codepoints(path, ranges)))
    src.text_fonts = [p for pkg, f in kit.text_fonts if pkg in roots
                      for p in [_find(roots[pkg], f)] if p]
    for theme in kit.icon_themes:
        if theme in roots:
            src.icons[theme] = index_icons(roots[theme])
    for pkg in kit.photo_packages:
        if pkg in roots:
            src.photos += index_photos(roots[pkg])
    for pkg in kit.sprite_packages:
        if pkg in roots:
            src.sprites[pkg] = index_sprites(pkg, roots[pkg])
    src.texts = [t for r in roots.values() for t in _doc_texts(r)][:200]
    src.check()
    return src


def _find(root: Path, name: str) -> Path | None:
    hits = sorted(root.rglob(name))
    if not hits:
        log.warning("%s has no %s; skipping it", root.name, name)
    return hits[0] if hits else None


def glyph_codepoints(path: Path, ranges) -> tuple[int, ...]:
    """Codepoints in ``ranges`` that the font maps, one per distinct glyph."""
    from fontTools.ttLib import TTFont
    cmap = TTFont(path, lazy=True, fontNumber=0).getBestCmap() or {}
    seen, out = set(), []
    for cp in sorted(cmap):
        glyph = cmap[cp]
        if glyph in seen or glyph in (".notdef", "space", "uni0020"):
            continue
        if any(lo <= cp <= hi for lo, hi in ranges) and not chr(cp).isspace():
            seen.add(glyph)
            out.append(cp)
    return tuple(out)


def index_icons(root: Path) -> list[Path]:
    """The largest PNG (at most 256 px) of each icon name in a theme."""
    best: dict[str, tuple[int, Path]] = {}
    for p in sorted(root.rglob("*.png")):
        m = re.search(r"/(\d+)(?:x\d+)?/", p.as_posix())
        size = int(m.group(1)) if m else 0
        if 24 <= size <= 256 and size > best.get(p.stem, (0, None))[0]:
            best[p.stem] = (size, p)
    return [p for _, p in sorted(best.values(), key=lambda v: v[1])]


def index_photos(root: Path) -> list[Path]:
    """Wallpaper-sized pictures (at least 800 x 600) that are not plain, one per picture
    (the largest of a wallpaper's several sizes, files named like ``1920x1080.jpg``)."""
    best: dict[Path, Path] = {}
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() not in PHOTO_SUFFIXES or not PHOTO_DIRS.search(p.as_posix()):
            continue
        key = p.parent if SIZE_NAME.match(p.stem) else p
        if key not in best or p.stat().st_size > best[key].stat().st_size:
            best[key] = p
    out = []
    for p in sorted(best.values()):
        try:
            with Image.open(p) as im:
                big = im.width >= 800 and im.height >= 600
            if big and np.asarray(photo(p).convert("L")).std() >= MIN_PHOTO_STD:
                out.append(p)
        except OSError:
            continue
    return out


@lru_cache(maxsize=64)
def photo(path: Path) -> Image.Image:
    """A wallpaper or photo, RGB (transparent ones over a blue-grey), at most PHOTO_SIDE
    on its longer side."""
    with Image.open(path) as im:
        im.draft("RGB", (PHOTO_SIDE, PHOTO_SIDE))
        im = im.convert("RGBA")
    im.thumbnail((PHOTO_SIDE, PHOTO_SIDE), Image.LANCZOS)
    base = Image.new("RGBA", im.size, (38, 70, 110, 255))
    base.alpha_composite(im)
    return base.convert("RGB")


def index_sprites(pkg: str, root: Path) -> list[SpriteRef]:
    """Frames of the package's real sprite sheets (pingus .sprite files, or blobs cut from
    any larger PNG or GIF sheet) and small pictures with transparency: a small picture of
    several sprites (a strip of animation frames, a font's glyphs) is a sheet too, whose
    frames are the sprites, never one item."""
    refs, framed = [], set()
    for spec in sorted(root.rglob("*.sprite")):
        for ref in _sprite_frames(pkg, root, spec):
            refs.append(ref)
            framed.add(ref.path)
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() not in SPRITE_SUFFIXES or p in framed or SPRITE_SKIP.search(p.as_posix()):
            continue
        try:
            with Image.open(p) as im:
                alpha = im.mode in ("RGBA", "LA") or "transparency" in im.info
                size = im.size
        except OSError:
            continue
        if max(size) > SPRITE_SIDE:
            refs += sheet_frames(pkg, p)
        elif alpha and max(size) >= 12:
            frames = sheet_frames(pkg, p)
            refs += frames if len(frames) > 1 else [SpriteRef(pkg, p)]
    return refs


def sheet_frames(pkg: str, path: Path) -> list[SpriteRef]:
    """Sprites of a real sheet: blobs of ink (alpha, or anything but a key colour that fills
    all four corners), each the only blob in its box."""
    try:
        with Image.open(path) as im:
            rgba = np.asarray(im.convert("RGBA"))
    except (OSError, ValueError):
        return []
    key = None
    if rgba[..., 3].min() == 255:
        corners = {tuple(int(v) for v in rgba[y, x, :3]) for y in (0, -1) for x in (0, -1)}
        if len(corners) != 1:
            return []
        key = corners.pop()
        mask = (rgba[..., :3] != key).any(axis=2)
        if mask.mean() > MAX_SHEET_INK:
            return []  # a picture, not a sheet of sprites
    else:
        mask = rgba[..., 3] >= 16
    labels, _ = ndimage.label(ndimage.binary_dilation(mask))
    boxes = np.array([(s[1].start, s[0].start, s[1].stop, s[0].stop)
                      for s in ndimage.find_objects(labels)]).reshape(-1, 4)
    out = []
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        w, h = x1 - x0, y1 - y0
        if not (12 <= max(w, h) <= SPRITE_SIDE and min(w, h) >= 4):
            continue
        hits = ((boxes[:, 0] < x1) & (x0 < boxes[:, 2]) & (boxes[:, 1] < y1) & (y0 < boxes[:, 3]))
        if hits.sum() == 1:
            out.append(SpriteRef(pkg, path, (int(x0), int(y0), int(w), int(h)), key))
    return out[:MAX_SHEET_FRAMES]


def _sprite_frames(pkg: str, root: Path, spec: Path) -> list[SpriteRef]:
    text = spec.read_text(errors="replace")
    image = re.search(r'\(image "([^"]+)"\)', text)
    array = re.search(r"\(array (\d+) (\d+)\)", text)
    size = re.search(r"\(size (\d+) (\d+)\)", text)
    if not (image and array and size):
        return []
    pos = re.search(r"\(position (\d+) (\d+)\)", text)
    name = image.group(1)
    data = next((d for d in spec.parents if d.name == "data"), spec.parent)
    path = (data / name.lstrip("/")) if name.startswith("/") else (spec.parent / name)
    path = path.resolve()
    if not path.is_file():
        return []
    cols, rows = int(array.group(1)), int(array.group(2))
    w, h = int(size.group(1)), int(size.group(2))
    x0, y0 = (int(pos.group(1)), int(pos.group(2))) if pos else (0, 0)
    return [SpriteRef(pkg, path, (x0 + c * w, y0 + r * h, w, h))
            for r in range(rows) for c in range(cols)]


def _doc_texts(root: Path) -> list[str]:
    out = []
    for p in sorted(root.glob("usr/share/doc/*/copyright")):
        paras = [" ".join(b.split()) for b in p.read_text(errors="replace").split("\n\n")]
        out += [t for t in paras if len(t) > 120]
    return out


# --- offline fallback ------------------------------------------------------------------

def offline_sources() -> Sources:
    """Material shipped with matplotlib: DejaVu/STIX fonts, toolbar icons, sample photos."""
    import matplotlib
    mpl = Path(matplotlib.get_data_path())
    ttf = mpl / "fonts" / "ttf"
    src = Sources()
    for name, ranges in [("DejaVuSans.ttf", SYMBOL_RANGES), ("STIXGeneral.ttf", SYMBOL_RANGES),
                         ("DejaVuSansMono.ttf", SYMBOL_RANGES)]:
        src.fonts.append(FontSource("matplotlib", ttf / name, glyph_codepoints(ttf / name, ranges)))
    src.text_fonts = [ttf / "DejaVuSans.ttf", ttf / "DejaVuSerif.ttf"]
    icons = sorted(p for p in (mpl / "images").glob("*.png"))
    src.icons["matplotlib"] = [p for p in icons if p.stem.endswith("_large")
                               or not (mpl / "images" / f"{p.stem}_large.png").exists()]
    sample = mpl / "sample_data" / "Minduka_Present_Blue_Pack.png"
    src.sprites["matplotlib"] = [SpriteRef("matplotlib", p) for p in [*icons, sample]]
    src.photos = [mpl / "sample_data" / "grace_hopper.jpg", _render_dem(mpl)]
    text = (ttf / "LICENSE_DEJAVU").read_text(errors="replace")
    src.texts = [" ".join(b.split()) for b in text.split("\n\n") if len(b) > 120]
    src.check()
    return src


def _render_dem(mpl: Path) -> Path:
    """matplotlib's sample elevation data drawn in terrain colours: a photo-like picture."""
    out = Path(tempfile.gettempdir()) / "devheap-offline" / "topobathy.png"
    if not out.exists():
        from matplotlib import colormaps
        dem = np.load(mpl / "sample_data" / "topobathy.npz")["topo"].astype(float)
        dem = (dem - dem.min()) / max(np.ptp(dem), 1e-9)
        rgb = (colormaps["terrain"](dem)[..., :3] * 255).astype(np.uint8)
        out.parent.mkdir(parents=True, exist_ok=True)
        size = (rgb.shape[1] * 6, rgb.shape[0] * 6)
        Image.fromarray(rgb).resize(size, Image.BICUBIC).save(out)
    return out
