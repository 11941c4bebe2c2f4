"""The fonts the PDF report embeds, found through fontconfig by what they cover, never by a
file path: a Latin font (regular and bold) and the fonts that cover Chinese.

reportlab embeds only TrueType-outline fonts, so CFF fonts such as Debian's Noto CJK do not
count. `scripts/setup` installs the packages named here; when no font covers Chinese, the
report refuses with `ReportFontMissing` (a one-line message naming the package) instead of
printing boxes.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

CJK_PACKAGE = "fonts-wqy-zenhei"  # TrueType, covers simplified and traditional Chinese
LATIN_PACKAGE = "fonts-dejavu-core"
# Characters every usable Chinese font must have (common surnames, the report's own words).
CJK_PROBE = "王李张刘陈杨黄赵吴周静芳审核会话决定批准拒绝"
LATIN_PROBE = "AaZz09é—"
_FIELDS = "%{file}\t%{index}\t%{family[0]}\t%{weight}\t%{slant}\t%{width}\n"
REGULAR, BOLD = "regular", "bold"


class ReportFontMissing(RuntimeError):
    """No installed font can print some of the report's text."""


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int
    family: str
    weight: float  # fontconfig's scale: 80 regular, 100 medium, 200 bold
    upright: bool  # neither italic nor oblique, normal width

    def has_weight(self, weight: str) -> bool:
        if not self.upright:
            return False
        return 180 <= self.weight <= 210 if weight == BOLD else 75 <= self.weight <= 100


@dataclass
class ReportFonts:
    """Registered reportlab font names: `regular`/`bold` for Latin text (Helvetica when no
    TrueType font is installed), `cjk` for Chinese in order of preference, each with the
    characters it covers."""

    regular: str = "Helvetica"
    bold: str = "Helvetica-Bold"
    cjk: list[str] = field(default_factory=list)
    covers: dict[str, frozenset[int]] = field(default_factory=dict)

    def cjk_font_for(self, char: str) -> str:
        """The first Chinese font that has `char`; refuses when there is none at all."""
        if not self.cjk:
            raise ReportFontMissing(
                "no installed font can print Chinese text in the report: "
                f"install the Debian package {CJK_PACKAGE}"
            )
        code = ord(char)
        for name in self.cjk:
            if code in self.covers[name]:
                return name
        log.warning("no installed font has the character U+%04X; it prints as a box", code)
        return self.cjk[0]


def _fontconfig(*args: str) -> list[FontFile]:
    """Fonts from fc-list or fc-match (an empty list when fontconfig is not installed)."""
    found: list[FontFile] = []
    for tool in ("fc-list", "fc-match"):
        if args[0] == tool and shutil.which(tool) is None:
            log.warning("%s is missing (Debian package fontconfig): the report uses built-in fonts", tool)
            return found
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        log.warning("%s failed: %s", args[0], error)
        return found
    for line in result.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) != 6 or not parts[0]:
            continue
        try:
            index, weight = int(parts[1] or 0), float(parts[3])
            slant, width = int(parts[4]), int(parts[5] or 100)
        except ValueError:  # a variable font lists ranges; not one of ours
            continue
        found.append(FontFile(Path(parts[0]), index, parts[2], weight, slant == 0 and width == 100))
    return found


def _candidates(lang: str, weight: str) -> list[FontFile]:
    """Upright TrueType fonts for `lang` of `weight`, in fontconfig's order of preference
    for sans-serif."""
    listed = _fontconfig("fc-list", "-f", _FIELDS, f":lang={lang}:fontformat=TrueType")
    allowed = [f for f in listed if f.has_weight(weight)]
    if not allowed:
        return []
    preferred = _fontconfig("fc-match", "-s", "-f", _FIELDS, f"sans-serif:lang={lang}:weight={weight}")
    keys = {(f.path, f.index) for f in allowed}
    ordered = [f for f in preferred if (f.path, f.index) in keys]
    seen = {(f.path, f.index) for f in ordered}
    rest = sorted(
        (f for f in allowed if (f.path, f.index) not in seen), key=lambda f: (f.family, str(f.path), f.index)
    )
    return ordered + rest


def _register(font: FontFile, name: str, probe: str) -> frozenset[int] | None:
    """Register `font` with reportlab under `name`; its characters, or None when it cannot
    be embedded or lacks a character of `probe`."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    try:
        ttf = TTFont(name, str(font.path), subfontIndex=font.index)
    except Exception as error:  # reportlab raises its own TTFError and plain errors alike
        log.info("font %s (%s) cannot be embedded: %s", font.family, font.path, error)
        return None
    covers = frozenset(ttf.face.charToGlyph)
    if any(ord(ch) not in covers for ch in probe):
        log.info("font %s (%s) lacks characters the report needs", font.family, font.path)
        return None
    pdfmetrics.registerFont(ttf)
    return covers


@functools.cache
def report_fonts() -> ReportFonts:
    """Find and register the report's fonts once per process."""
    fonts = ReportFonts()
    for weight in (REGULAR, BOLD):
        for number, font in enumerate(_candidates("en", weight)):
            name = f"ReportLatin-{weight}-{number}"
            if _register(font, name, LATIN_PROBE) is not None:
                setattr(fonts, weight, name)
                break
    if fonts.regular == "Helvetica":
        log.warning("no TrueType Latin font found (Debian package %s): using Helvetica", LATIN_PACKAGE)
    files: set[Path] = set()
    for number, font in enumerate(_candidates("zh", REGULAR)):
        if font.path in files:  # one face of a collection is enough
            continue
        files.add(font.path)
        name = f"ReportCJK-{number}"
        covers = _register(font, name, CJK_PROBE)
        if covers is not None:
            fonts.cjk.append(name)
            fonts.covers[name] = covers
    return fonts
