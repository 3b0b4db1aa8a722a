"""Attachment text: each format read with its library, and broken files skipped with a warning."""
from __future__ import annotations

import logging

from tests.fulltext.files import corrupt_pdf, docx_with_text, odt_with_text, pdf_with_text, zip_bomb
from views.fulltext import extract


def _text(name: str, content_type: str, data: bytes) -> str:
    return extract.text_of(name, content_type, len(data), lambda: data)


def test_plain_text_in_utf8_and_in_windows_1251():
    assert "кровля" in _text("a.txt", "text/plain", "кровля течёт".encode())
    assert "кровля" in _text("a.txt", "text/plain", "кровля течёт".encode("cp1251"))


def test_the_text_layer_of_a_pdf():
    assert "Roof repair" in _text("scan.pdf", "application/pdf", pdf_with_text("Roof repair at Baumana 7"))


def test_docx_paragraphs_and_tables():
    text = _text("draft.docx", "application/octet-stream", docx_with_text("Проект постановления о парковке"))
    assert "Проект постановления о парковке" in text and "таблица согласования" in text


def test_odt_paragraphs():
    assert "служебная записка" in _text("memo.odt", "application/vnd.oasis.opendocument.text",
                                        odt_with_text("Это служебная записка"))


def test_unknown_formats_are_not_read():
    assert _text("photo.jpg", "image/jpeg", b"\xff\xd8\xff") == ""


def test_a_corrupt_pdf_is_skipped_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="views.fulltext.extract"):
        assert _text("broken.pdf", "application/pdf", corrupt_pdf()) == ""
    assert "broken.pdf" in caplog.text and "skipped" in caplog.text


def test_a_file_named_pdf_without_the_header_is_skipped_unparsed(caplog, monkeypatch):
    import pypdf

    monkeypatch.setattr(pypdf, "PdfReader", None)  # it must not even be asked
    with caplog.at_level(logging.WARNING, logger="views.fulltext.extract"):
        assert _text("scan.pdf", "application/pdf", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 400) == ""
    assert "scan.pdf" in caplog.text and "no %PDF- header" in caplog.text


def test_a_zip_bomb_is_refused_before_it_is_unpacked(caplog):
    bomb = zip_bomb()
    assert len(bomb) < 1_000_000
    with caplog.at_level(logging.WARNING, logger="views.fulltext.extract"):
        assert _text("bomb.docx", "", bomb) == ""
    assert "zip bomb" in caplog.text


def test_a_file_over_the_size_limit_is_not_opened(caplog):
    def read() -> bytes:
        raise AssertionError("must not be read")

    with caplog.at_level(logging.WARNING, logger="views.fulltext.extract"):
        assert extract.text_of("huge.txt", "text/plain", extract.MAX_FILE_BYTES + 1, read) == ""
    assert "huge.txt" in caplog.text


def test_text_is_cut_at_the_limit(monkeypatch):
    monkeypatch.setattr(extract, "MAX_TEXT_CHARS", 10)
    assert _text("a.txt", "text/plain", b"x" * 100) == "x" * 10
