"""Fonts for the PDFs: the DejaVu families that ship inside matplotlib (Vietnamese covered).

Nothing is downloaded at run time. DejaVu Serif stands in for Times New Roman, the font of
administrative documents, which is not free to ship.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path


def font_folder() -> Path:
    """Where matplotlib keeps its TrueType fonts."""
    spec = find_spec("matplotlib")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


SANS = font_folder() / "DejaVuSans.ttf"
SANS_BOLD = font_folder() / "DejaVuSans-Bold.ttf"
# Style letter (as fpdf2 names them) → file of DejaVu Serif.
SERIF = {
    "": font_folder() / "DejaVuSerif.ttf",
    "B": font_folder() / "DejaVuSerif-Bold.ttf",
    "I": font_folder() / "DejaVuSerif-Italic.ttf",
    "BI": font_folder() / "DejaVuSerif-BoldItalic.ttf",
}
