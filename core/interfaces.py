"""The contracts of Domus's persistent model and extension points.

Implementations declare them with ``@implementer`` and tests check them with
``verifyObject``.  They describe; they are not a lookup registry.
"""
from __future__ import annotations

from zope.interface import Attribute, Interface


class IServerRoot(Interface):
    """The ZODB root object of a server: its databases by name."""

    server_uuid = Attribute("32 hex digits naming this server's storage, stable for its life")
    databases = Attribute("OOBTree: database name -> IDatabase")
    tokens = Attribute("OOBTree: token id -> API token record")

    def add_database(database):
        """Add a new database; raise AlreadyExists if the name is taken."""

    def get_database(name):
        """Return the database or raise DatabaseNotFound."""


class IDatabase(Interface):
    """A Domino-style database: design plus documents plus a changes feed."""

    name = Attribute("lowercase identifier used in URLs")
    title = Attribute("dict of titles by language: {'ru': …, 'en': …}")
    template = Attribute("name of the template the design came from")
    replica_id = Attribute("16 hex digits shared by all replicas of this database")
    design = Attribute("forms, views, roles and ACL copied from the template (plain data)")
    purge_interval_days = Attribute("deletion stubs older than this are purged")
    documents = Attribute("OOBTree: UNID -> IDocument, including deletion stubs")
    annotations = Attribute("OOBTree: plugin name -> the plugin's persistent state")

    def document_count():
        """Number of live (not deleted) documents, kept without conflicts."""

    def get_document(unid):
        """Return the document (live or stub) or raise DocumentNotFound."""

    def changes_since(since, limit):
        """Changes after sequence ``since``, oldest first, at most ``limit``."""

    def last_seq():
        """The sequence of the newest change, 0 for an empty database."""


class IRevision(Interface):
    """One immutable revision of a document."""

    rev = Attribute("N-hash")
    parent_rev = Attribute("the revision this one edits, or None")
    deleted = Attribute("True for a deletion stub")
    items = Attribute("dict of item name -> JSON value")
    attachments = Attribute("dict of file name -> IAttachment")
    parent_unid = Attribute("UNID of the main document of a response, or None")
    updated_by = Attribute("name of the principal who made it")
    timestamp = Attribute("ISO 8601 UTC time it was made")
    changed = Attribute("tuple of item names changed against the parent revision")


class IDocument(Interface):
    """A document: a UNID and a tree of revisions."""

    unid = Attribute("32 uppercase hex digits (any id string for replicated documents)")
    seq = Attribute("sequence of the document's latest change in its database's feed")

    def current():
        """The winning IRevision."""

    def revision(rev):
        """The IRevision with that id or raise DocumentNotFound."""

    def conflicts():
        """Revision ids of live losing leaves (replication or save conflicts)."""


class IAttachment(Interface):
    """A file stored as a ZODB blob, with the digests that identify it."""

    name = Attribute("sanitised file name")
    content_type = Attribute("MIME type given at upload")
    length = Attribute("size in bytes")
    sha256 = Attribute("hex SHA-256 of the content")
    md5 = Attribute("hex MD5 of the content (CouchDB's digest)")

    def open():
        """A binary file object on the committed content."""


class IChangesConsumer(Interface):
    """Something that follows every database's changes feed from a checkpoint."""

    name = Attribute("unique name; the checkpoint is stored under it")
    batch_size = Attribute("how many changes one call receives at most")

    def wants(database):
        """True if this consumer follows that database."""

    def process(database, changes):
        """Handle ``changes`` (a list of Change) inside the worker's transaction."""


class IClosingConsumer(IChangesConsumer):
    """A changes consumer holding something the worker must end with it (a helper process)."""

    def close():
        """Release it; called by ``Worker.stop`` once the last round has finished."""


class IScheduledTask(Interface):
    """A periodic job run by the server's worker (Domino's scheduled agents)."""

    name = Attribute("unique name")
    interval_seconds = Attribute("how often it runs")

    def run(root, now):
        """Do one round of work inside the worker's transaction."""
