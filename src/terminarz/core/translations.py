"""Compile the translation catalogues (.po → .mo) in pure Python (polib), so a fresh machine
needs no GNU gettext. Run by scripts/setup and before the tests; compiled files are not
committed. `python -m terminarz.core.translations` compiles what is missing or stale."""

import os
from pathlib import Path

import polib

PACKAGE = Path(__file__).resolve().parent.parent


def catalogues(root: Path = PACKAGE) -> list[Path]:
    return sorted(root.glob("**/locale/*/LC_MESSAGES/*.po"))


def compile_all(root: Path = PACKAGE) -> list[Path]:
    """Write each catalogue's .mo when it is missing or older than its .po; returns those written."""
    written = []
    for po_path in catalogues(root):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        # Fuzzy entries are left out, as msgfmt does: an unchecked guess is not a translation.
        # Written aside and moved into place: parallel test workers compile at once.
        partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
        polib.pofile(str(po_path)).save_as_mofile(str(partial))
        os.replace(partial, mo_path)
        written.append(mo_path)
    return written


if __name__ == "__main__":
    for path in compile_all():
        print(f"compiled {path.relative_to(PACKAGE.parent)}")
