"""Checks of uploaded documents, in one place: the extension, the size and the first bytes
(a renamed file is refused). Every upload is then stored outside the static files and served
only by a view that checks who asks."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
PDF_OR_JPG = ("pdf", "jpg", "jpeg")


def validate_document_size(document) -> None:
    if document.size > DOCUMENT_MAX_BYTES:
        raise ValidationError(gettext("Plik może mieć najwyżej 10 MB."))


def document_problem(upload, allowed: tuple[str, ...] = PDF_OR_JPG) -> str:
    """Why `upload` cannot be taken (a Polish sentence), or "" when it can."""
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in allowed:
        return gettext("Dodaj plik PDF lub JPG.")
    if upload.size > DOCUMENT_MAX_BYTES:
        return gettext("Plik może mieć najwyżej 10 MB.")
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(SIGNATURES[extension]):
        return gettext("Plik nie jest dokumentem PDF ani obrazem JPG.")
    return ""
