"""The errors Domus raises on purpose.

Every error a client may cause is a ``DomusError`` child with an HTTP status and
a stable ``code``; one exception view (``core.api.errors``) turns them into the
JSON body ``{"error": CODE, "message": TEXT}``.  Code that raises them never
builds a response by hand.
"""
from __future__ import annotations


class DomusError(Exception):
    """Base of every error that reaches a client with a clear message."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(DomusError):
    status, code = 400, "bad_request"


class InvalidJSON(DomusError):
    status, code = 400, "invalid_json"


class InvalidItem(DomusError):
    """An item name is reserved or malformed, or a value is not JSON."""

    status, code = 400, "invalid_item"


class InvalidName(DomusError):
    """A database or attachment name breaks the naming rules."""

    status, code = 400, "invalid_name"


class InvalidText(DomusError):
    """A name, value or parameter holds a NUL, a lone surrogate or bytes that are not UTF-8."""

    status, code = 400, "invalid_text"


class Unauthorized(DomusError):
    status, code = 401, "unauthorized"


class AccessDenied(DomusError):
    status, code = 403, "forbidden"


class TooManyAttempts(DomusError):
    """Too many failed logins for this account or address: wait ``retry_after`` seconds."""

    status, code = 429, "too_many_attempts"


class TooManyWaiting(DomusError):
    """No slot is free for another waiting request (longpoll): ask again after ``retry_after``."""

    status, code = 429, "too_many_waiting"


class NotFound(DomusError):
    status, code = 404, "not_found"


class DatabaseNotFound(NotFound):
    pass


class DocumentNotFound(NotFound):
    pass


def hidden_document(database, unid: str) -> DocumentNotFound:
    """The error for a document that is absent *or* hidden by its Readers: the same words."""
    return DocumentNotFound(f"no document {unid!r} in database {database.name!r}")


class DocumentDeleted(NotFound):
    """The document exists only as a deletion stub; it may be restored."""

    code = "deleted"


class AttachmentNotFound(NotFound):
    pass


class RevisionConflict(DomusError):
    """The revision named by the client is not the document's current one."""

    status, code = 409, "conflict"


class AlreadyExists(DomusError):
    status, code = 409, "exists"


class PayloadTooLarge(DomusError):
    status, code = 413, "too_large"


class UnsupportedMediaType(DomusError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(DomusError):
    """A plugin or the form refused the document; ``details['errors']`` lists why."""

    status, code = 422, "validation_failed"


class FormulaError(DomusError):
    """A formula that cannot be compiled; ``details['position']`` says where, when there is a place."""

    status, code = 422, "invalid_formula"


class ConfigurationError(Exception):
    """A setting or a plugin registration is wrong: the server must not start."""
