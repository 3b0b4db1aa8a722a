"""Attachments: files kept as ZODB blobs, streamed in and out.

Uploads are copied chunk by chunk into the blob while both digests are
computed, so a 100 MB scan never sits in memory; a body over the limit aborts
the write and the transaction with it.  File names are checked, not silently
rewritten: a name with a path in it, or characters that disguise it, is a
client error.
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
from core.text import check_text

CHUNK = 64 * 1024
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
#: Characters that make a name read other than it is: bidi controls reorder it
#: (``invoice\u202efdp.exe`` shows as ``invoiceexe.pdf``), zero-width ones hide
#: in it, and look-alike slashes pose as a path.
_DECEPTIVE = re.compile(
    "[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\u2044\u2215\u2571\u29f8\u29f9\uff0f\uff3c\u2216\u29f5]"
)
MAX_NAME_BYTES = 255


def check_attachment_name(name: object) -> str:
    """Return the NFC form of ``name`` or refuse it with a clear message."""
    if not isinstance(name, str):
        raise InvalidName("attachment names must be strings")
    check_text(name, "the attachment name")
    normal = unicodedata.normalize("NFC", name).strip()
    if not normal or normal in {".", ".."} or normal.startswith("."):
        raise InvalidName(f"attachment name {name!r} is empty or starts with a dot")
    if _FORBIDDEN.search(normal):
        raise InvalidName(
            f"attachment name {name!r} contains a path separator or a control character; "
            "send the bare file name"
        )
    deceptive = _DECEPTIVE.search(normal)
    if deceptive:
        raise InvalidName(
            f"attachment name {name!r} holds U+{ord(deceptive.group()):04X}, a direction control, "
            "an invisible character or a look-alike of a slash; send the plain file name"
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
