"""The development heap generator, in its offline small mode (no download)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from random import Random

import numpy as np
import pytest
from PIL import Image

from benchmarks.devheap import SMALL_SHEETS, build_heap
from benchmarks.devheap import items as it
from benchmarks.devheap.degrade import degrade, frame
from benchmarks.devheap.heap import caption_style, make_file, make_sheet
from benchmarks.devheap.sets import DEV, STRESS, VALIDATION
from benchmarks.devheap.sources import SPRITE_SIDE, Sources, index_sprites, offline_sources, sheet_frames


@pytest.fixture(scope="module")
def heap(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("heap")
    build_heap(out, SMALL_SHEETS, seed=7, offline=True)
    return out


def load(heap: Path, name: str):
    return json.loads((heap / name).read_text())


def overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_truth_describes_every_layout(heap):
    truth = load(heap, "truth.json")
    assert 15 <= len(truth) <= 40
    layouts = {t["layout"] for t in truth.values()}
    assert layouts == {"grid", "ruled", "captioned", "scattered", "dark", "sprites", "patches",
                       "single", "text", "photo"}
    labels = {i["label"] for t in truth.values() for i in t["items"]}
    assert labels == {"symbol", "garbage"}
    for t in truth.values():
        singles = t["layout"] in ("single", "text", "photo")
        assert t["kind"] == ("single" if singles else "sprites" if t["layout"] == "sprites" else "sheet")
        assert t["items"] and (not singles or len(t["items"]) == 1)


def test_boxes_lie_inside_their_images(heap):
    for src, t in load(heap, "truth.json").items():
        with Image.open(heap / src) as im:
            width, height = im.size
        for item in t["items"]:
            x, y, w, h = item["bbox"]
            assert w > 0 and h > 0 and x >= 0 and y >= 0, src
            assert x + w <= width and y + h <= height, src


def test_items_do_not_overlap(heap):
    for src, t in load(heap, "truth.json").items():
        boxes = [i["bbox"] for i in t["items"]]
        for i, a in enumerate(boxes):
            assert not any(overlap(a, b) for b in boxes[i + 1:]), src


def test_oracle_lists_every_item(heap):
    truth = load(heap, "truth.json")
    lines = [json.loads(s) for s in (heap / "oracle.jsonl").read_text().splitlines()]
    expected = sorted((s, tuple(i["bbox"]), i["label"]) for s, t in truth.items() for i in t["items"])
    assert sorted((o["source"], tuple(o["bbox"]), o["label"]) for o in lines) == expected


@pytest.mark.parametrize("layout", ["captioned", "ruled"])
def test_captions_and_rules_stay_outside_item_boxes(layout):
    src = offline_sources()
    for n in range(4):
        sheet = make_sheet(layout, Random(f"decor:{n}"), src)
        with_decor, boxes = sheet.render()
        sheet.decor = []
        bare, _ = sheet.render()
        diff = (np.asarray(with_decor) != np.asarray(bare)).any(axis=2)
        assert diff.any(), "the sheet has captions or rules"
        for (x, y, w, h), _ in boxes:
            assert not diff[y:y + h, x:x + w].any()


def test_broken_files_exist_and_stay_out_of_truth(heap):
    broken, truth = load(heap, "broken.json"), load(heap, "truth.json")
    assert set(broken.values()) == {"empty", "html_as_jpeg", "truncated_jpeg", "one_pixel",
                                    "decompression_bomb", "text_as_png"}
    for rel, kind in broken.items():
        assert (heap / rel).is_file() and rel not in truth
        if kind == "one_pixel":
            assert Image.open(heap / rel).size == (1, 1)
            continue
        with pytest.raises((OSError, SyntaxError, Image.DecompressionBombError)):
            with Image.open(heap / rel) as im:
                im.load()


def test_files_mimic_a_scrape(heap):
    files = [p for p in heap.rglob("*") if p.is_file()]
    suffixes = {p.suffix for p in files}
    assert {".png", ".jpg"} <= {s.lower() for s in suffixes}
    assert any(s != s.lower() for s in suffixes), "some suffixes are upper case"
    assert all(len(Path(s).parts) >= 2 for s in load(heap, "truth.json"))


def digest(heap: Path) -> dict[str, str]:
    return {p.relative_to(heap).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(heap.rglob("*")) if p.is_file()}


def test_same_seed_same_heap(heap, tmp_path):
    build_heap(tmp_path / "again", SMALL_SHEETS, seed=7, offline=True)
    assert digest(tmp_path / "again") == digest(heap)
    build_heap(tmp_path / "other", SMALL_SHEETS, seed=8, offline=True)
    assert load(tmp_path / "other", "truth.json") != load(heap, "truth.json")


def test_missing_kind_fails_clearly():
    with pytest.raises(RuntimeError, match="no source for .*photos"):
        Sources(fonts=[1], text_fonts=[1], icons={"x": []}, sprites={"x": []}, texts=["t"]).check()


def test_refuses_to_overwrite_a_folder_that_is_not_a_heap(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        build_heap(tmp_path, 1, offline=True)


def sheets_of(layout: str, n: int, src=None):
    src = src or offline_sources()
    return [make_file(layout, Random(f"{layout}:{i}"), src) for i in range(n)]


def test_text_images_and_photos_are_one_content_box():
    for layout in ("text", "photo"):
        for sheet in sheets_of(layout, 12):
            img, boxes = sheet.render()
            if not boxes:
                continue
            assert len(boxes) == 1 and boxes[0][1] in ("garbage", "symbol")
            (x, y, w, h), _ = boxes[0]
            arr = np.asarray(img).astype(int)
            if sheet.background is None:  # fills the whole frame
                assert (x, y, w, h) == (0, 0, img.width, img.height)
                continue
            differs = np.abs(arr[..., :3] - sheet.background).max(axis=2) > 24
            ys, xs = np.nonzero(differs)
            assert (x, y, w, h) == (xs.min(), ys.min(), np.ptp(xs) + 1, np.ptp(ys) + 1)


def test_a_flat_banner_is_its_text_and_a_gradient_banner_its_frame():
    """EVAL.md: a single picture's plain margins are trimmed. A banner in one flat colour has
    plain margins round its text; a gradient banner has none, it fills its frame."""
    banners = [s for s in sheets_of("text", 60) if s.placed and s.placed[0][2].name == "banner"]
    flat = [s for s in banners if s.background is not None]
    assert flat and len(flat) < len(banners)
    for sheet in banners:
        img, [((x, y, w, h), _)] = sheet.render()
        arr = np.asarray(img)[..., :3].astype(int)
        corners_differ = np.abs(arr[0, 0] - arr[-1, -1]).max() > 24
        assert corners_differ == (sheet.background is None)
        inside = x > 0 and y > 0 and x + w < img.width and y + h < img.height
        assert inside == (sheet.background is not None)


def test_text_images_are_garbage_and_include_buttons_and_banners():
    names = {s.placed[0][2].name for s in sheets_of("text", 16) if s.placed}
    assert names == {"text", "button", "banner"}
    assert all(s.placed[0][2].label == "garbage" for s in sheets_of("text", 8) if s.placed)


def test_items_on_patches_get_their_own_box_not_the_patch():
    for sheet in sheets_of("patches", 6):
        img, boxes = sheet.render()
        assert sheet.under and sheet.grounds
        colour = next(iter(sheet.grounds.values()))
        assert colour != sheet.background
        arr = np.asarray(img).astype(int)
        for (x, y, w, h), _ in boxes:  # the ring just outside the box is the patch's margin
            ring = np.concatenate([arr[y - 1, x - 1:x + w + 1], arr[y + h, x - 1:x + w + 1],
                                   arr[y - 1:y + h + 1, x - 1], arr[y - 1:y + h + 1, x + w]])
            assert (np.abs(ring[:, :3] - colour).max(axis=1) <= 24).all()
        sheet.under, sheet.grounds = [], {}  # without patches: the same boxes, to a faint edge
        bare = [b for b, _ in sheet.render()[1]]
        assert len(bare) == len(boxes)
        assert all(np.abs(np.subtract(a, b)).max() <= 1 for a, (b, _) in zip(bare, boxes))


def test_captions_take_every_style():
    src = offline_sources()
    styles = [caption_style(Random(f"cap:{i}"), src) for i in range(40)]
    texts = {c.text(2, it.Item(Image.new("RGBA", (1, 1)), "symbol", "a name")) for c in styles}
    assert any(t == "a name" for t in texts) and any(len(t.split()) > 3 for t in texts)
    assert any(len(t) <= 7 and any(ch.isdigit() for ch in t) for t in texts)
    assert {c.above for c in styles} == {True, False} and {c.lines for c in styles} >= {1, 2}


def test_some_sprites_touch():
    src = offline_sources()
    touching = 0
    for sheet in [make_sheet("sprites", Random(f"touch:{i}"), src) for i in range(20)]:
        boxes = [b for b, _ in sheet.render()[1]]
        for i, a in enumerate(boxes):
            assert not any(overlap(a, b) for b in boxes[i + 1:])
            touching += any(a[0] + a[2] == b[0] and overlap([a[0], a[1], a[2] + 1, a[3]], b)
                            for b in boxes)
    assert touching


def test_scan_noise_is_faint_and_spares_transparency():
    src = offline_sources()
    img, _ = make_file("grid", Random("noise"), src).render()
    noisy = degrade(img, Random("n"), src.style)
    diff = np.abs(np.asarray(noisy).astype(int) - np.asarray(img).astype(int))[..., :3]
    assert 0 < diff.mean() < 8
    clear = Image.new("RGBA", (20, 20))
    assert degrade(clear, Random("n"), src.style) is clear


@pytest.mark.parametrize("seed", range(6))
def test_a_frame_keeps_the_sheet_whole_and_moves_its_boxes(seed):
    """Framing pads the sheet (border line, scanner's edge or bed), never covers it: the
    sheet's pixels reappear at the shift ``frame`` returns, and something surrounds them."""
    img, _ = make_file("grid", Random("frame"), offline_sources()).render()
    out, (dx, dy) = frame(img, Random(seed))
    sheet, framed = np.asarray(img.convert("RGB")), np.asarray(out.convert("RGB"))
    h, w = sheet.shape[:2]
    assert framed.shape[0] > h or framed.shape[1] > w
    assert np.array_equal(framed[dy:dy + h, dx:dx + w], sheet)
    assert frame(Image.new("RGBA", (20, 20)), Random(seed)) == (Image.new("RGBA", (20, 20)), (0, 0))


@pytest.mark.parametrize("kit", [DEV, STRESS])
def test_development_and_validation_sets_share_no_source(kit):
    assert not kit.packages() & VALIDATION.packages()
    files = lambda kit: {f for _, f, *_ in kit.fonts + kit.text_fonts}  # noqa: E731
    assert not files(kit) & files(VALIDATION)
    assert kit.style.light_bg != VALIDATION.style.light_bg
    assert not set(kit.style.short_labels) & set(VALIDATION.style.short_labels)


def test_a_heap_of_one_layout(tmp_path):
    build_heap(tmp_path, 3, seed=1, offline=True, layout="patches")
    assert {t["layout"] for t in load(tmp_path, "truth.json").values()} == {"patches"}
    with pytest.raises(ValueError, match="unknown layout"):
        build_heap(tmp_path / "x", 3, offline=True, layout="mosaic")


@pytest.mark.parametrize("key", [None, (255, 0, 255)])
def test_sprites_are_cut_from_a_real_sheet(tmp_path, key):
    icons = [it.trim(Image.open(p).convert("RGBA")) for p in offline_sources().icons["matplotlib"][:3]]
    sheet = Image.new("RGBA", (400, 120), (*key, 255) if key else (0, 0, 0, 0))
    spots = [(10 + 130 * i, 20) for i in range(3)]
    for icon, at in zip(icons, spots):
        sheet.alpha_composite(icon, at)
    path = tmp_path / "sheet.png"
    (sheet.convert("RGB") if key else sheet).save(path)
    frames = sheet_frames("test", path)
    assert len(frames) == 3 and all(f.key == key for f in frames)
    for f, icon, (x, y) in zip(frames, icons, spots):
        fx, fy, fw, fh = f.frame  # the blob's box, a pixel of margin at most
        assert 0 <= x - fx <= 1 and 0 <= y - fy <= 1
        assert 0 <= fw - icon.width <= 2 and 0 <= fh - icon.height <= 2
        assert it._cut(f.path, f.frame, f.key).size == icon.size


def test_a_small_picture_of_several_sprites_is_indexed_by_its_frames(tmp_path):
    """A strip of animation frames or a font's glyphs under the sheet size is a sheet too:
    its truth items are the sprites, not the strip (the validation heap had whole strips
    as items, so every sprite the splitter found in them counted as a wrong crop)."""
    icons = [it.trim(Image.open(p).convert("RGBA")) for p in offline_sources().icons["matplotlib"][:3]]
    root = tmp_path / "pkg"
    root.mkdir()
    strip = Image.new("RGBA", (200, 60), (0, 0, 0, 0))
    for i, icon in enumerate(icons):
        strip.alpha_composite(icon, (5 + 65 * i, 10))
    strip.save(root / "strip.png")
    icons[0].save(root / "one.png")
    refs = index_sprites("test", root)
    assert max(strip.size) <= SPRITE_SIDE
    assert sorted((r.path.name, r.frame is None) for r in refs) == [("one.png", True)] + [("strip.png", False)] * 3
