"""Where the Japanese font lives (Debian's fonts-noto-cjk).

The PDF embeds Noto Sans CJK JP, which WeasyPrint finds through fontconfig;
the charts need the same font file registered with vl-convert to measure
their labels. Without the package (a non-root machine) Japanese text falls
back to whatever font is there, and ``cjk_font()`` returns None so the CLI
can say so.
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["DEBIAN_PACKAGE", "FONT_FAMILY", "cjk_font"]

DEBIAN_PACKAGE = "fonts-noto-cjk"
#: The CSS and chart font stack: Noto first, then what Japanese desktops carry.
FONT_FAMILY = "Noto Sans CJK JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"

_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKjp-Regular.otf",
)


@functools.cache
def cjk_font() -> Path | None:
    """The Noto Sans CJK regular font file, or None when it is not installed."""
    for c in _CANDIDATES:
        p = Path(c)
        if p.is_file():
            return p
    return None
