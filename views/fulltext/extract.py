"""The text of attachments: plain text, PDF text layers, DOCX and ODT.

A scanned letter's text layer or a draft in Word is often the only place a
word occurs, so it is indexed with the document.  Attachments come from
anyone who may write, so every step is bounded: files over
``MAX_FILE_BYTES`` are not opened, a ZIP container (DOCX, ODT) whose members
would unpack to more than ``MAX_UNPACKED_BYTES`` or at a suspicious ratio is
refused before it is unpacked, PDFs are read for at most ``MAX_PDF_PAGES``
pages, and no attachment gives more than ``MAX_TEXT_CHARS`` of text.  A file
that cannot be read (corrupt, encrypted, a bomb) is skipped with a logged
warning; the document is indexed without it.
"""
from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_RATIO = 200  # unpacked / packed size of one ZIP member; text compresses ~10x, bombs ~1000x
MAX_PDF_PAGES = 300
MAX_TEXT_CHARS = 1_000_000


class Unreadable(Exception):
    """An attachment whose text cannot be taken safely: the reason is the message."""


def _plain(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):  # Russian offices still save text as Windows-1251
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _pdf(data: bytes) -> str:
    # A scan saved under a .pdf name but holding an image or anything else costs the PDF
    # parser tens of milliseconds to give up on; the header says it at once (PDF readers
    # accept it anywhere in the first kilobyte).
    if b"%PDF-" not in data[:1024]:
        raise Unreadable("not a PDF: no %PDF- header in its first kilobyte")
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise Unreadable("the PDF is encrypted")
    pages, size = [], 0
    for page in reader.pages[:MAX_PDF_PAGES]:
        text = page.extract_text() or ""
        pages.append(text)
        size += len(text)
        if size >= MAX_TEXT_CHARS:
            break
    return "\n".join(pages)


def _check_zip(data: bytes) -> None:
    """Refuse a ZIP container whose members would unpack to too much (a zip bomb)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise Unreadable(f"not a readable ZIP container: {error}") from None
    total = 0
    for member in archive.infolist():
        total += member.file_size
        if member.file_size > MAX_RATIO * max(member.compress_size, 1) and member.file_size > 1 << 20:
            raise Unreadable(f"member {member.filename!r} unpacks {member.file_size} bytes from "
                             f"{member.compress_size}: refused as a zip bomb")
        if total > MAX_UNPACKED_BYTES:
            raise Unreadable(f"the container unpacks to more than {MAX_UNPACKED_BYTES} bytes: "
                             "refused as a zip bomb")


def _docx(data: bytes) -> str:
    import docx

    _check_zip(data)
    document = docx.Document(io.BytesIO(data))
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)


def _odt(data: bytes) -> str:
    from odf import teletype, text
    from odf.opendocument import load

    _check_zip(data)
    document = load(io.BytesIO(data))
    return "\n".join(teletype.extractText(paragraph)
                     for kind in (text.H, text.P) for paragraph in document.getElementsByType(kind))


_BY_EXTENSION: dict[str, Callable[[bytes], str]] = {
    "txt": _plain, "csv": _plain, "md": _plain, "xml": _plain, "json": _plain,
    "pdf": _pdf, "docx": _docx, "odt": _odt,
}
_BY_TYPE: dict[str, Callable[[bytes], str]] = {
    "application/pdf": _pdf,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _docx,
    "application/vnd.oasis.opendocument.text": _odt,
}


def reader_for(name: str, content_type: str) -> Callable[[bytes], str] | None:
    """The function that reads a file of this name and type, None if we do not read it."""
    base_type = (content_type or "").split(";")[0].strip().lower()
    found = _BY_TYPE.get(base_type)
    if found is None and base_type.startswith("text/"):
        found = _plain
    if found is None and "." in name:
        found = _BY_EXTENSION.get(name.rsplit(".", 1)[1].lower())
    return found


def text_of(name: str, content_type: str, length: int, read: Callable[[], bytes]) -> str:
    """The text of one attachment, or "" (with a warning) when it cannot be read safely."""
    reader = reader_for(name, content_type)
    if reader is None:
        return ""
    if length > MAX_FILE_BYTES:
        log.warning("full text: attachment %r is %d bytes, over %d: not read", name, length,
                    MAX_FILE_BYTES)
        return ""
    try:
        return reader(read())[:MAX_TEXT_CHARS]
    except Unreadable as error:
        log.warning("full text: attachment %r skipped: %s", name, error)
    except Exception as error:  # corrupt files raise whatever their parser meets
        log.warning("full text: attachment %r skipped, it cannot be read: %s: %s", name,
                    type(error).__name__, error)
    return ""


@dataclass(frozen=True)
class AttachedFile:
    """An attachment to read, by the path of its committed blob file: blob files never change
    once committed, so another process (the indexer's helper) may read it after the worker's
    transaction has ended."""

    name: str
    content_type: str
    length: int
    path: str


def files_to_read(revision) -> list[AttachedFile]:
    """The attachments of ``revision`` whose type we read, in name order (nothing is read yet)."""
    return [AttachedFile(name, attachment.content_type, attachment.length, attachment.committed_path())
            for name, attachment in sorted(revision.attachments.items())
            if reader_for(name, attachment.content_type) is not None]


def file_texts(files: list[AttachedFile]) -> list[str]:
    """The text of every file that can be read."""
    texts = []
    for attached in files:
        def read(path=attached.path) -> bytes:
            with open(path, "rb") as stream:
                return stream.read(MAX_FILE_BYTES + 1)

        text = text_of(attached.name, attached.content_type, attached.length, read)
        if text:
            texts.append(text)
    return texts


def attachment_texts(revision) -> list[str]:
    """The text of every attachment of ``revision`` that can be read."""
    return file_texts(files_to_read(revision))
