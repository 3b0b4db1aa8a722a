"""Route factories: turn URL names into the persistent objects views work on.

Each returns a small context object carrying what the gate needs
(``database``, ``document``), so permissions are checked by Pyramid's
security policy before a view runs.
"""
from __future__ import annotations

from core import access
from core.exceptions import DocumentDeleted, DocumentNotFound


class ServerContext:
    database = None
    document = None

    def __init__(self, request) -> None:
        self.root = request.root_object


class DatabaseContext(ServerContext):
    def __init__(self, request) -> None:
        super().__init__(request)
        self.database = self.root.get_database(request.matchdict["db"])


class DocumentContext(DatabaseContext):
    def __init__(self, request) -> None:
        super().__init__(request)
        unid = request.matchdict["unid"]
        try:
            self.document = self.database.get_document(unid)
        except DocumentNotFound:
            if access.may_read(request.identity, self.database):
                raise
            # Who may not read the database is refused before learning whether it exists.
            self.document = None

    def live_document(self):
        """The document, refusing deletion stubs with 404 'deleted'."""
        if self.document.deleted:
            raise DocumentDeleted(
                f"document {self.document.unid} is deleted; POST …/restore brings it back"
            )
        return self.document
