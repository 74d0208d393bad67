"""The training-ready variant of a crop: padded to a square, grayscale, one ink polarity."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from imaging.border import frame, letterbox
from settings.fields import setting


@dataclass(frozen=True)
class Variant:
    """The training-ready image variant; the defaults keep crops as they are."""

    square: int | None = setting(None, help="pad (never stretch) every image to a square of this side")
    grayscale: bool = setting(False, help="write grayscale images")
    dark_on_light: bool = setting(False, help="invert light-on-dark crops so every image has dark ink on a light ground")

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        if self.dark_on_light and _is_light_on_dark(rgb):
            rgb = 255 - rgb
        if self.square:
            rgb = letterbox(rgb, self.square)
        if self.grayscale:
            rgb = cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        return rgb


def _is_light_on_dark(rgb: np.ndarray) -> bool:
    """The crop's border (its background) is darker than mid-gray."""
    return float(np.median(frame(rgb).mean(axis=1))) < 128
