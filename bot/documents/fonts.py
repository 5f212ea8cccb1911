"""Fonts for the PDFs, all with Vietnamese: nothing is installed or downloaded at run time.

Administrative documents are set in Times New Roman, which is not free to ship. Liberation
Serif (SIL OFL 1.1, in `typefaces/` with its licence) has the same metrics, so a report lays out
line for line as the clerk's Word template would. The invite sheet keeps DejaVu Sans, which
ships inside matplotlib.
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
TYPEFACES = Path(__file__).parent / "typefaces"
SERIF_FAMILY = "LiberationSerif"
# Style letter (as fpdf2 names them) → file of Liberation Serif.
SERIF = {
    "": TYPEFACES / "LiberationSerif-Regular.ttf",
    "B": TYPEFACES / "LiberationSerif-Bold.ttf",
    "I": TYPEFACES / "LiberationSerif-Italic.ttf",
    "BI": TYPEFACES / "LiberationSerif-BoldItalic.ttf",
}
