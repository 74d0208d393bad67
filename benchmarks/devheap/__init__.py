"""Development heap: real fonts, icons, wallpapers and game sprites from Debian packages laid
out as scraped collection sheets, single pictures and broken files, with ground truth."""
from .heap import DEFAULT_SHEETS, SMALL_SHEETS, build_heap

__all__ = ["build_heap", "DEFAULT_SHEETS", "SMALL_SHEETS"]
