"""A4 PDF documents in Polish (fpdf2), shared by invoices and terms.

The text is set in DejaVu Sans, embedded from `fonts/` (a subset with Polish and Ukrainian
letters; see `fonts/LICENSE`), since the PDF core fonts have no "ą" or "ł"."""

import logging
from pathlib import Path

from fpdf import FPDF

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "DejaVuSans"

# fpdf2 subsets the embedded font with fontTools, which logs some 70 INFO lines per PDF; the
# root logger is at INFO (settings.LOGGING). Quiet it unless the settings gave it a level.
_FONTTOOLS_SUBSET_LOGGER = logging.getLogger("fontTools.subset")
if _FONTTOOLS_SUBSET_LOGGER.level == logging.NOTSET:
    _FONTTOOLS_SUBSET_LOGGER.setLevel(logging.WARNING)


def a4(*, title: str, author: str) -> FPDF:
    """A new portrait A4 document with the fonts loaded and one page open."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(left=15, top=15, right=15)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font(FONT_FAMILY, "", FONTS_DIR / "DejaVuSans.ttf")
    pdf.add_font(FONT_FAMILY, "B", FONTS_DIR / "DejaVuSans-Bold.ttf")
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("Terminarz")
    pdf.set_lang("pl")
    pdf.add_page()
    return pdf
