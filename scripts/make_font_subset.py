"""Cut the CJK font shipped in xiaozhen/report/fonts from Debian's fonts-noto-cjk (OFL-1.1).

Run once by a maintainer (needs `apt-get install fonts-noto-cjk`):

    .venv/bin/python scripts/make_font_subset.py

The subset keeps ASCII, general punctuation, CJK punctuation, full-width forms, the 3,755 level-1
characters of GB 2312 and every character that appears in the bundled data and the package source.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src/xiaozhen/report/fonts/NotoSansSC-xiaozhen-subset.otf"


def gb2312_level1() -> set[str]:
    chars = set()
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes([hi, lo]).decode("gb2312"))
    return chars


def used_characters() -> set[str]:
    chars: set[str] = set()
    for pattern in ("src/**/*.py", "src/**/*.html", "src/**/*.csv", "src/**/*.json", "*.md"):
        for file in ROOT.glob(pattern):
            chars |= set(file.read_text(encoding="utf-8", errors="ignore"))
    import geopandas as gpd

    gdf = gpd.read_file(ROOT / "src/xiaozhen/region/data/counties.gpkg")
    for column in ("province", "city", "district"):
        chars |= set("".join(gdf[column].astype(str)))
    return chars


def main() -> int:
    collection = TTCollection(str(SOURCE))
    index = next(
        i
        for i, font in enumerate(collection.fonts)
        if font["name"].getDebugName(1) == "Noto Sans CJK SC"
    )
    chars = {chr(c) for c in range(0x20, 0x7F)} | gb2312_level1() | used_characters()
    chars |= {chr(c) for c in range(0x2000, 0x206F)} | {chr(c) for c in range(0x3000, 0x303F)}
    chars |= {chr(c) for c in range(0xFF00, 0xFFEF)} | set("²³°±×÷·–—‘’“”…‰₂")
    options = subset.Options()
    options.font_number = index
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(SOURCE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(TARGET))
    print(f"{TARGET}: {TARGET.stat().st_size / 1e6:.2f} MB, {len(chars)} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
