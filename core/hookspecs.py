"""Every hook a Domus plugin may implement.

Plugins implement these with ``@core.hookimpl`` and register through the
entry-point group ``domus`` (built-ins are listed in ``core.plugins``).  Names
carry the contract: ``register_*`` returns a list every plugin may extend;
``before_*``/``after_*`` are notifications; ``validate_*`` returns problems.
docs/plugins.md documents each one; a test fails if one is missing there.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("domus")

# ---------------------------------------------------------------------------
# Start-up
# ---------------------------------------------------------------------------


@hookspec
def register_templates() -> list:
    """Database templates this plugin contributes.

    Called once when the server or the CLI starts.  Return a list of template
    mappings shaped like the TOML files in ``databases/`` (``name``, ``title``,
    ``forms``, ``views``, ``roles``, ``acl``, ``purge_interval_days``).  Two
    templates with one name stop the start-up with a clear error.
    """


@hookspec
def database_created(database) -> None:
    """A database was just made from a template or an export file.

    Called inside the transaction that adds it to the server, before any of
    its documents is saved (an import's documents follow, through
    ``after_save``).  Plugins set up what they keep beside the documents —
    the view engine makes its empty indexes here.  Return nothing.
    """


@hookspec
def register_routes(config) -> None:
    """Add routes and views to the Pyramid ``config``.

    Called once inside ``core.main`` after the core API is configured and
    before the configuration is committed; conflicting registrations fail at
    start-up.  Return nothing.
    """


@hookspec
def register_commands(subparsers) -> None:
    """Add subcommands to the ``domus`` CLI.

    Called when the ``domus`` command starts, before it parses its arguments.
    ``subparsers`` is an ``argparse`` sub-parser collection.  Each command must
    set ``func=callable(args, env)`` with ``parser.set_defaults``; ``env`` is a
    ``core.cli.Environment`` with the settings, the plugin manager and an
    ``open_db()`` method.  Return nothing.
    """


# ---------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------


@hookspec
def validate_document(database, document, items, previous, principal, grafted) -> list:
    """Check a document that is about to be saved.

    Called inside the write's transaction for every new live revision: before
    ``before_save`` for one made through the API (``grafted`` False), and for
    one received by replication or import (``grafted`` True), whose items are
    fixed by its revision id: ``before_save`` does not run for it, so a plugin
    whose ``before_save`` would change such items must refuse them here.
    ``document`` carries the UNID (its tree is empty for a new document),
    ``items`` is the new item dict (do not modify it), ``previous`` the revision
    being edited (or the grafted revision's parent) or None.  Return a list of
    problems ``{"item": NAME or None, "message": TEXT}``; any problem from any
    plugin refuses the write (422 through the API, ``forbidden`` for that
    document in a ``_bulk_docs`` answer) and nothing is saved.
    """


@hookspec
def compute_with_form(database, document, items, previous, principal) -> list:
    """Apply the document's form: defaults, computed items, then its checks.

    Called inside the transaction, before ``validate_document``, only when the
    writer asked for the form's rules (the web UI always does; API clients
    with ``?computeWithForm=true``), as Domino's ``ComputeWithForm``.
    ``items`` is the mutable dict that will be saved: set defaults and
    computed items in it.  Return a list of ``{"item", "message"}`` problems
    (required, type, choices, validation formulas); any problem refuses the
    save with 422.
    """


@hookspec
def before_save(database, document, items, previous, principal) -> None:
    """Adjust a document's items just before its new revision is made.

    Called inside the write's transaction, after validation, with the mutable
    ``items`` dict that becomes the revision (so a plugin may add computed
    items or remove secrets); ``previous`` is None for a new document.  An
    exception aborts the whole write.  Return nothing.
    """


@hookspec
def after_save(database, document, revision, principal) -> None:
    """React to a revision that was just stored, still inside the transaction.

    Called for every new revision, including deletions, restorations and
    revisions received by replication or import, so that indexes kept in
    ZODB commit together with the document.  Return nothing.
    """


@hookspec
def after_commit(database_name, changes) -> None:
    """Notification after a transaction that changed documents has committed.

    Called once per committed transaction per database, outside any
    transaction, with a list of ``core.database.Change``; never called if the
    transaction aborted.  Must not write to ZODB; exceptions are logged and
    swallowed because the write is already acknowledged.  Return nothing.
    """


# ---------------------------------------------------------------------------
# Background work
# ---------------------------------------------------------------------------


@hookspec
def register_changes_consumers(settings) -> list:
    """Objects providing ``IChangesConsumer`` that follow the changes feeds.

    Called once when the worker starts.  The worker gives each consumer every
    change after its checkpoint, in batches, inside a transaction that also
    stores the new checkpoint: a consumer never misses a change and never
    sees a committed batch twice.
    """


@hookspec
def register_scheduled_tasks(settings) -> list:
    """Objects providing ``IScheduledTask`` that the worker runs periodically.

    Called once when the worker starts.  Each task runs in its own
    transaction every ``interval_seconds``; a failing round is logged and
    aborted, and the task runs again at its next time.
    """
