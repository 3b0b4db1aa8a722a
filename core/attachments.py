"""Attachments: files kept as ZODB blobs, streamed in and out.

Uploads are copied chunk by chunk into the blob while both digests are
computed, so a 100 MB scan never sits in memory; a body over the limit aborts
the write and the transaction with it.  File names are checked, not silently
rewritten: a name with a path in it is a client error.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import BinaryIO

from persistent import Persistent
from ZODB.blob import Blob
from zope.interface import implementer

from core.exceptions import InvalidName, PayloadTooLarge
from core.interfaces import IAttachment

CHUNK = 64 * 1024
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
MAX_NAME_BYTES = 255


def check_attachment_name(name: object) -> str:
    """Return the NFC form of ``name`` or refuse it with a clear message."""
    if not isinstance(name, str):
        raise InvalidName("attachment names must be strings")
    normal = unicodedata.normalize("NFC", name).strip()
    if not normal or normal in {".", ".."} or normal.startswith("."):
        raise InvalidName(f"attachment name {name!r} is empty or starts with a dot")
    if _FORBIDDEN.search(normal):
        raise InvalidName(
            f"attachment name {name!r} contains a path separator or a control character; "
            "send the bare file name"
        )
    if len(normal.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidName(f"attachment name is longer than {MAX_NAME_BYTES} bytes")
    return normal


@implementer(IAttachment)
class Attachment(Persistent):
    """A stored file; immutable once committed, shared by revisions that keep it."""

    def __init__(self, name: str, content_type: str) -> None:
        self.name = name
        self.content_type = content_type
        self.length = 0
        self.sha256 = ""
        self.md5 = ""
        self.blob = Blob()

    def fill(self, stream: BinaryIO, limit: int, length: int | None = None) -> None:
        """Copy ``stream`` into the blob, computing digests; refuse more than ``limit``."""
        sha256, md5, total = hashlib.sha256(), hashlib.md5(), 0
        with self.blob.open("w") as out:
            while True:
                want = CHUNK if length is None else min(CHUNK, length - total)
                if want <= 0:
                    break
                chunk = stream.read(want)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise PayloadTooLarge(f"attachment is larger than the limit of {limit} bytes")
                sha256.update(chunk)
                md5.update(chunk)
                out.write(chunk)
        self.length, self.sha256, self.md5 = total, sha256.hexdigest(), md5.hexdigest()

    def open(self) -> BinaryIO:
        """Open the content for reading (committed or just written)."""
        return self.blob.open("r")

    def committed_path(self) -> str:
        """Path of the committed blob file, readable after the connection closes."""
        return self.blob.committed()

    def describe(self) -> dict[str, object]:
        """The attachment's metadata as the API shows it under ``@attachments``."""
        return {
            "contentType": self.content_type,
            "length": self.length,
            "sha256": self.sha256,
            "md5": self.md5,
        }
