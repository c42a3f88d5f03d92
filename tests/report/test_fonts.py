"""Chinese text renders from the bundled font, not as empty boxes, on a machine without CJK fonts."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager

from xiaozhen.report import CJK_FAMILY, cjk_font_path, font_face_css, missing_glyphs, use_cjk_font


def test_every_bundled_place_name_has_glyphs(counties):
    names = "".join(counties["name"]) + "".join(counties["city"])
    assert missing_glyphs(names) == set()
    assert missing_glyphs("特色小镇生产生活生态") == set()
    assert missing_glyphs("𠀀") == {"𠀀"}  # outside the subset: reported, not hidden


def _render(text: str, family: str) -> np.ndarray:
    fig = plt.figure(figsize=(2, 0.6), dpi=80)
    fig.text(0.05, 0.3, text, fontfamily=family, fontsize=20)
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., 0].copy()
    plt.close(fig)
    return image


def test_matplotlib_uses_the_bundled_font_and_draws_distinct_glyphs():
    assert use_cjk_font() == CJK_FAMILY
    found = font_manager.findfont(font_manager.FontProperties(family=CJK_FAMILY))
    assert found == str(cjk_font_path())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would be raised
        a, b = _render("淳安县", CJK_FAMILY), _render("龙泉市", CJK_FAMILY)
    # Tofu boxes are identical for any characters; real glyphs differ.
    assert (a < 128).sum() > 50
    assert not np.array_equal(a, b)


def test_embedded_css_font_is_cut_to_the_page():
    small = font_face_css("淳安")
    large = font_face_css("".join(chr(c) for c in range(0x4E00, 0x4F00)))
    assert small.startswith("@font-face")
    assert len(small) < 20_000 < 2 * len(small) < len(large)


def test_every_chinese_character_of_the_package_has_a_glyph():
    """Rerun scripts/make_font_subset.py when this fails (new Chinese text in the package)."""
    from pathlib import Path

    import xiaozhen

    root = Path(xiaozhen.__file__).parent
    text = "".join(
        p.read_text(encoding="utf-8") for p in root.rglob("*") if p.suffix in {".py", ".html"}
    )
    cjk = {ch for ch in text if "\u4e00" <= ch <= "\u9fff"}
    assert missing_glyphs("".join(cjk)) == set()
