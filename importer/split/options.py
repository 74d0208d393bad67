"""The splitter's knobs (``SplitOptions``) and the plain sheet it reads (``Plain``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from settings.fields import setting

Box = tuple[int, int, int, int]
NOISE_SHARE = 0.95  # a frame's noise: the level this share of its plain pixels stays within
JPEG_BLOCK = 8  # a JPEG codes pixels in blocks this many wide: ringing round ink reaches that far
INK_SAMPLE = 65536  # a colour's statistics are read off at most about this many pixels (every k-th row and column)


class Plain(NamedTuple):
    """A plain sheet: its colour, the ink tolerance its noise calls for, and that noise."""

    colour: np.ndarray
    tol: float
    noise: float


@dataclass(frozen=True)
class SplitOptions:
    """Knobs of ``split``; the defaults hold for any sheet, nothing is tuned to one heap."""

    min_size: int = setting(4, env="SPLIT_MIN_SIZE", help="smallest crop side in pixels; smaller crops are dropped")
    min_area: int = 8             # a crop's foreground pixels: fewer are dropped (specks)
    tolerance: int = 24           # least colour distance (max over channels) from background that counts as ink
    noise_factor: float = 3.0     # tolerance is at least this × the border's noise (JPEG)
    grain: float = 1.5            # ink no farther than the tolerance and this × the sheet's noise is its grain
    shade_blocks: int = 96        # a sheet's lighting is read off blocks this many to its shorter side
    alpha_threshold: int = 16     # alpha above this is ink when the background is transparent
    plain_border: float = 0.6     # share of border pixels in the background colour for a plain background
    rule_length: float = 0.5      # a ruled line spans at least this share of the image side
    rule_thickness: float = 0.01  # ... and is at most this share of the shorter side thick (≥ 2 px)
    merge_fraction: float = 0.5   # merge gap = this × the typical item-to-nearest-neighbour gap
    part_fraction: float = 0.5    # ... and at most this × the typical item height, the reach of small parts
    small_fraction: float = 0.25  # a group with a box below this × the typical item box is a part (dot, accent)
    part_gap: float = 0.5         # a part below small_fraction × the other's box lies within this × its longer side
    join_size: float = 1.5        # a second-pass join keeps the united box within this × the typical item box
    pitch_tolerance: float = 0.1  # rows/columns keep one pitch when each step is within this share of it
    packed_spacing: float = 0.25  # a packed sheet's items lie less than this × their typical side apart
    drop_captions: bool = True
    caption_height: float = 0.6   # a caption is at most this × its item's height
    label_height: float = 1.0     # labels alone may be this × their items where shorter ones caption too few
    single_cover: float = 0.6     # one group covering this share of the content box: a single picture
    frame_cut: float = 0.25       # ink along this share of the frame in one stretch: cut by the frame, one picture
    text_lines: int = 3           # a picture of at most this many lines of text is one picture
    patch_contrast: float = 0.5   # a patch differs from the sheet by less than this × its content from it
    fringe: float = 0.25          # a lossy format's fringes round ink differ from the sheet by less than this × the ink
    max_pieces: int = 4096        # more ink pieces than this, specks below min_area left out: noise or
    #                               texture, one picture (gaps between pieces are read pairwise: 4,096²
    #                               take 134 MB a table; sheets hold ~2,000)
