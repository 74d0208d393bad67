"""Two disjoint source sets (Debian packages and drawing styles): one to develop on, one kept
for validation, so that a rule fitted to the first shows up as a gap on the second."""
from __future__ import annotations

from dataclasses import dataclass, replace

# Symbol blocks of text fonts: arrows .. misc symbols & arrows, music, emoji-ish symbols.
SYMBOL_RANGES = ((0x2190, 0x2BFF), (0x1D100, 0x1D1FF), (0x1F000, 0x1FAFF))
ALL = ((0x100, 0x10FFFF),)
SYMBOL_FONT = ((0x21, 0xFF),)  # a symbol font with its glyphs on the Latin-1 codes


@dataclass(frozen=True)
class Style:
    """How sheets of a set are drawn: backgrounds, inks, captions, patches, scan noise."""
    light_bg: tuple
    dark_bg: tuple
    sprite_bg: tuple  # None: a transparent sheet
    inks: tuple
    light_inks: tuple
    short_labels: tuple  # caption formats with {n} (a number) or {a} (a letter)
    patch_delta: tuple[int, int]  # a patch differs from the sheet by this much (grey levels)
    patch_radius: tuple[int, int]
    noise: tuple[float, float]  # std of scan noise (grey levels)
    paper: tuple[float, float]  # amplitude of the paper texture (grey levels)
    degraded: float  # share of opaque sheets that get noise and texture
    shading: tuple[float, float] = (0.0, 0.0)  # depth of uneven lighting (a scan's falloff, grey levels)
    framed: float = 0.0  # share of opaque files framed: a border line, a scanner's edge, the bed round a page


@dataclass(frozen=True)
class SourceSet:
    """The packages a heap is built from, and its style."""
    name: str
    fonts: tuple  # (package, file name, codepoint ranges)
    text_fonts: tuple  # (package, file name)
    icon_themes: tuple
    photo_packages: tuple
    sprite_packages: tuple
    style: Style
    sheets: int  # collection sheets in a default heap (single pictures come on top)

    def packages(self) -> set[str]:
        return ({p for p, *_ in self.fonts} | {p for p, _ in self.text_fonts}
                | set(self.icon_themes) | set(self.photo_packages) | set(self.sprite_packages))


DEV = SourceSet(
    name="dev",
    fonts=(
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
    ),
    text_fonts=(
        ("fonts-dejavu-core", "DejaVuSans.ttf"), ("fonts-dejavu-core", "DejaVuSerif.ttf"),
        ("fonts-dejavu-core", "DejaVuSans-Bold.ttf"), ("fonts-freefont-ttf", "FreeSans.ttf"),
        ("fonts-freefont-ttf", "FreeMono.ttf"), ("fonts-freefont-ttf", "FreeSansBold.ttf"),
        ("fonts-liberation2", "LiberationSans-Bold.ttf"),
        ("fonts-liberation2", "LiberationSerif-Italic.ttf"),
    ),
    icon_themes=("tango-icon-theme", "gnome-icon-theme", "lxde-icon-theme",
                 "oxygen-icon-theme", "adwaita-icon-theme"),
    photo_packages=("mate-backgrounds", "gnome-backgrounds", "desktop-base"),
    sprite_packages=("pingus-data", "frozen-bubble-data", "tuxmath-data",
                     "chromium-bsu-data", "funnyboat"),
    style=Style(
        light_bg=((255, 255, 255), (255, 255, 255), (250, 248, 240), (232, 232, 232),
                  (243, 232, 204), (222, 236, 250), (236, 250, 232), (255, 238, 244)),
        dark_bg=((0, 0, 0), (22, 22, 22), (34, 38, 46), (12, 26, 52), (48, 28, 30)),
        sprite_bg=(None, None, None, (255, 0, 255), (0, 128, 128), (40, 40, 40), (255, 255, 255)),
        inks=((0, 0, 0), (0, 0, 0), (36, 36, 36), (20, 40, 130), (130, 20, 20), (20, 90, 40)),
        light_inks=((255, 255, 255), (240, 236, 200), (180, 220, 255), (255, 210, 120)),
        short_labels=("Fig. {n}", "No. {n}", "{n}", "{a})", "#{n}", "({n})"),
        patch_delta=(8, 40), patch_radius=(0, 12),
        noise=(1.5, 5.0), paper=(2.0, 8.0), degraded=0.3,
    ),
    sheets=185,
)

VALIDATION = SourceSet(
    name="validation",
    fonts=(
        ("fonts-urw-base35", "D050000L.otf", SYMBOL_FONT),
        ("fonts-urw-base35", "StandardSymbolsPS.otf", SYMBOL_FONT),
        ("fonts-ancient-scripts", "Aegean_hint.ttf", ALL),
        ("fonts-ancient-scripts", "Akkadian_hint.ttf", ALL),
        ("fonts-ancient-scripts", "Maya_hint.ttf", ALL),
        ("fonts-ancient-scripts", "Unidings_hint.ttf", ALL),
        ("fonts-ancient-scripts", "CyproMinoan_hint.ttf", ALL),
        ("fonts-glyphicons-halflings", "glyphicons-halflings-regular.ttf", ALL),
        ("fonts-mathjax", "MathJax_AMS-Regular.otf", ALL),
        ("fonts-mathjax", "MathJax_Size4-Regular.otf", ALL),
        ("fonts-opensymbol", "opens___.ttf", ALL),
        ("fonts-oflb-asana-math", "Asana-Math.otf", SYMBOL_RANGES),
    ),
    text_fonts=(
        ("fonts-urw-base35", "NimbusSans-Regular.otf"), ("fonts-urw-base35", "C059-Bold.otf"),
        ("fonts-urw-base35", "URWBookman-Light.otf"), ("fonts-urw-base35", "NimbusMonoPS-Regular.otf"),
        ("fonts-lato", "Lato-Black.ttf"), ("fonts-lato", "Lato-Italic.ttf"),
        ("fonts-open-sans", "OpenSans-Regular.ttf"), ("fonts-cantarell", "Cantarell-Bold.otf"),
        ("fonts-linuxlibertine", "LinLibertine_R.otf"), ("fonts-comic-neue", "ComicNeue-Bold.otf"),
        ("fonts-league-spartan", "LeagueSpartan-Bold.otf"), ("fonts-gfs-didot", "GFSDidot.otf"),
    ),
    icon_themes=("faenza-icon-theme", "mate-icon-theme", "elementary-xfce-icon-theme"),
    photo_packages=("plasma-workspace-wallpapers", "ukui-wallpapers", "lomiri-wallpapers"),
    sprite_packages=("freedroid-data", "berusky-data", "xye-data", "lbreakout2-data",
                     "powermanga-data", "mirrormagic-data", "solarwolf", "kobodeluxe-data",
                     "tecnoballz-data"),
    style=Style(
        light_bg=((255, 255, 255), (248, 248, 248), (245, 245, 220), (240, 234, 214),
                  (226, 230, 236), (255, 250, 230), (238, 238, 255), (250, 240, 230),
                  (214, 220, 206)),
        dark_bg=((8, 8, 8), (30, 30, 30), (20, 32, 40), (40, 20, 52), (25, 45, 30), (60, 60, 66)),
        sprite_bg=(None, None, (0, 0, 0), (255, 0, 255), (0, 255, 0), (88, 96, 120),
                   (190, 190, 190)),
        inks=((0, 0, 0), (50, 50, 50), (80, 40, 10), (0, 70, 110), (100, 0, 90), (40, 60, 20)),
        light_inks=((255, 255, 255), (255, 255, 160), (200, 255, 200), (255, 190, 190)),
        short_labels=("Figure {n}", "fig {n}", "Nr. {n}", "{n}.", "{a}", "({a})", "Plate {n}",
                      "{n}/{m}", "No {n}"),
        patch_delta=(6, 45), patch_radius=(0, 18),
        noise=(1.0, 6.0), paper=(1.5, 10.0), degraded=0.35,
    ),
    sheets=620,
)

# A second development set: the dev sources with more text fonts and a wider style (patches
# from barely visible to strong, more noise and paper). Built one layout at a time
# (``--layout``), it shows a failure class in numbers where the dev heap holds too few cases;
# it shares no package with the validation set either.
STRESS = replace(
    DEV, name="stress",
    text_fonts=DEV.text_fonts + tuple(
        (pkg, f) for pkg, files in (
            ("fonts-noto-core", ("NotoSans-Bold.ttf", "NotoSans-Italic.ttf", "NotoSerif-Regular.ttf",
                                 "NotoSansDisplay-Regular.ttf", "NotoSerifDisplay-Italic.ttf")),
            ("fonts-noto-extra", ("NotoSerif-Black.ttf", "NotoSans-ExtraCondensedBlack.ttf",
                                  "NotoSans-ExtraLight.ttf", "NotoSans-CondensedThin.ttf")),
            ("fonts-roboto-unhinted", ("Roboto-Black.ttf", "Roboto-ThinItalic.ttf", "RobotoCondensed-Bold.ttf")),
            ("fonts-firacode", ("FiraCode-Bold.ttf",)), ("fonts-ebgaramond", ("EBGaramond12-Italic.otf",)),
            ("fonts-crosextra-carlito", ("Carlito-Bold.ttf",)), ("fonts-adf-accanthis", ("AccanthisADFStd-Regular.otf",)))
        for f in files),
    style=replace(DEV.style, patch_delta=(4, 60), patch_radius=(0, 24), noise=(0.5, 7.0), paper=(1.0, 12.0)),
)

# The stress sources on unevenly lit, strongly textured paper: every opaque sheet is scanned
# or photographed with its light falling off across it (a linear gradient or a vignette,
# up to a third of the sheet's brightness) and mottled up to twice as strongly as the stress
# heaps' paper. Neither the dev nor the validation style has such sheets.
SHADED = replace(
    STRESS, name="shaded",
    style=replace(STRESS.style, paper=(1.0, 25.0), shading=(20.0, 80.0), degraded=1.0),
)

# The stress sources framed as scans and saved pictures are: every opaque file (sheets and
# single pictures) inside a border line drawn round its margin, with a scanner's dark edge
# along one or two sides, or on the scanner's bed or a table showing round the page. Neither
# the dev nor the validation style frames a file.
FRAMED = replace(STRESS, name="framed", style=replace(STRESS.style, framed=1.0))

SETS = {s.name: s for s in (DEV, VALIDATION, STRESS, SHADED, FRAMED)}
