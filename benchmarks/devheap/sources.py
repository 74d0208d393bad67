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

log = logging.getLogger("devheap")

CACHE = Path(__file__).resolve().parents[2] / "data" / "cache"

# Symbol blocks of text fonts: arrows .. misc symbols & arrows, music, emoji-ish symbols.
SYMBOL_RANGES = ((0x2190, 0x2BFF), (0x1D100, 0x1D1FF), (0x1F000, 0x1FAFF))
ALL = ((0x100, 0x10FFFF),)

# (package, file name under the package, codepoint ranges)
FONTS = [
    ("fonts-symbola", "Symbola_hint.ttf", SYMBOL_RANGES),
    ("fonts-noto-core", "NotoSansSymbols-Regular.ttf", ALL),
    ("fonts-noto-core", "NotoSansSymbols2-Regular.ttf", ALL),
    ("fonts-noto-core", "NotoSansEgyptianHieroglyphs-Regular.ttf", ALL),
    ("fonts-noto-core", "NotoSansAnatolianHieroglyphs-Regular.ttf", ALL),
    ("fonts-noto-core", "NotoSansLinearB-Regular.ttf", ALL),
    ("fonts-noto-core", "NotoMusic-Regular.ttf", ALL),
    ("fonts-dejavu-core", "DejaVuSans.ttf", SYMBOL_RANGES),
    ("fonts-freefont-ttf", "FreeSerif.ttf", SYMBOL_RANGES),
    ("fonts-stix", "STIXGeneral-Regular.otf", SYMBOL_RANGES),
    ("fonts-font-awesome", "fontawesome-webfont.ttf", ALL),
    ("fonts-fork-awesome", "forkawesome-webfont.ttf", ALL),
    ("fonts-material-design-icons-iconfont", "MaterialIcons-Regular.ttf", ALL),
    ("fonts-elusive-icons", "elusiveicons-webfont.ttf", ALL),
    ("fonts-entypo", "entypo.ttf", ALL),
]
TEXT_FONTS = [("fonts-dejavu-core", "DejaVuSans.ttf"), ("fonts-dejavu-core", "DejaVuSerif.ttf"),
              ("fonts-freefont-ttf", "FreeSans.ttf"), ("fonts-freefont-ttf", "FreeMono.ttf")]
ICON_THEMES = ["tango-icon-theme", "gnome-icon-theme", "lxde-icon-theme",
               "oxygen-icon-theme", "adwaita-icon-theme"]
PHOTO_PACKAGES = ["mate-backgrounds", "gnome-backgrounds", "desktop-base"]
SPRITE_PACKAGES = ["pingus-data", "frozen-bubble-data", "tuxmath-data",
                   "chromium-bsu-data", "funnyboat"]
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
PHOTO_SIDE = 1200  # photos are kept in memory at most this large
MIN_PHOTO_STD = 12  # grey-level spread below which a wallpaper counts as plain
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


def debian_sources(cache: Path = CACHE) -> Sources:
    """Fetch every listed package (skipping unavailable ones) and index its material."""
    src = Sources()
    names = sorted({p for p, *_ in FONTS} | {p for p, _ in TEXT_FONTS} | set(ICON_THEMES)
                   | set(PHOTO_PACKAGES) | set(SPRITE_PACKAGES))
    roots = {}
    for name in names:
        got = fetch_package(name, cache)
        if got:
            roots[name], src.packages[name] = got
    for pkg, fname, ranges in FONTS:
        if pkg in roots:
            path = _find(roots[pkg], fname)
            if path:
                src.fonts.append(FontSource(pkg, path, glyph_codepoints(path, ranges)))
    src.text_fonts = [p for pkg, f in TEXT_FONTS if pkg in roots
                      for p in [_find(roots[pkg], f)] if p]
    for theme in ICON_THEMES:
        if theme in roots:
            src.icons[theme] = index_icons(roots[theme])
    for pkg in PHOTO_PACKAGES:
        if pkg in roots:
            src.photos += index_photos(roots[pkg])
    for pkg in SPRITE_PACKAGES:
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
        m = re.search(r"/(\d+)x\d+/", p.as_posix())
        size = int(m.group(1)) if m else 0
        if 24 <= size <= 256 and size > best.get(p.stem, (0, None))[0]:
            best[p.stem] = (size, p)
    return [p for _, p in sorted(best.values(), key=lambda v: v[1])]


def index_photos(root: Path) -> list[Path]:
    """Wallpaper-sized pictures (at least 800 x 600) that are not plain."""
    out = []
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() in PHOTO_SUFFIXES and "background" in p.as_posix():
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
    """Frames of the package's real sprite sheets (pingus .sprite files) and small
    PNGs with transparency."""
    refs, framed = [], set()
    for spec in sorted(root.rglob("*.sprite")):
        for ref in _sprite_frames(pkg, root, spec):
            refs.append(ref)
            framed.add(ref.path)
    for p in sorted(root.rglob("*.png")):
        if p in framed or SPRITE_SKIP.search(p.as_posix()):
            continue
        try:
            with Image.open(p) as im:
                alpha = im.mode in ("RGBA", "LA") or "transparency" in im.info
                if alpha and 12 <= max(im.size) <= 256:
                    refs.append(SpriteRef(pkg, p))
        except OSError:
            continue
    return refs


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
