"""The JSON API under ``/api``: one module per resource, each with its ``includeme``."""


def includeme(config) -> None:
    config.include("core.api.errors")
    config.include("core.api.server")
    config.include("core.api.databases")
    config.include("core.api.documents")
    config.include("core.api.attachments")
    config.include("core.api.changes")
    config.include("core.api.acl")
    config.include("core.api.session")
