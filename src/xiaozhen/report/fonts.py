"""The bundled CJK font, so that Chinese place names render on a machine without CJK fonts.

The package ships a subset of Noto Sans CJK SC (SIL Open Font License 1.1; cut by
``scripts/make_font_subset.py`` from Debian's fonts-noto-cjk: ASCII, CJK punctuation, the 3,755
level-1 GB 2312 characters and every character of the bundled data). :func:`use_cjk_font`
registers it with matplotlib; :func:`font_face_css` embeds a further subset, cut to the characters
of one HTML page, as a base64 ``@font-face`` so the report renders offline from ``file://``.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

__all__ = ["CJK_FAMILY", "cjk_font_path", "font_face_css", "missing_glyphs", "use_cjk_font"]

#: Family name registered with matplotlib and used in the report's CSS.
CJK_FAMILY = "Noto Sans CJK SC"


def cjk_font_path() -> Path:
    """Path of the bundled font file."""
    return Path(str(files("xiaozhen.report").joinpath("fonts", "NotoSansSC-xiaozhen-subset.otf")))


@lru_cache(maxsize=1)
def _cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(cjk_font_path()))["cmap"].getBestCmap())


def missing_glyphs(text: str) -> set[str]:
    """Characters of ``text`` (beyond ASCII controls) that the bundled font cannot draw."""
    cmap = _cmap()
    return {ch for ch in set(text) if ord(ch) >= 0x20 and not ch.isspace() and ord(ch) not in cmap}


@lru_cache(maxsize=1)
def use_cjk_font() -> str:
    """Register the bundled font with matplotlib and make it the first sans-serif family."""
    import matplotlib as mpl
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(cjk_font_path()))
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [CJK_FAMILY, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False
    return CJK_FAMILY


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding the bundled font cut to the characters of ``text``."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(cjk_font_path()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text) | set("0123456789"))))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"@font-face {{ font-family: '{CJK_FAMILY}'; "
        f"src: url(data:font/otf;base64,{data}) format('opentype'); }}"
    )
