"""Full-text search: Whoosh indexes per database, kept in step through the changes feed.

``analysis`` (Russian and English words), ``extract`` (attachment text),
``schema`` (what of a document is indexed), ``index`` (the indexes on disk),
``consumer`` (the indexer), ``indexing`` (applying a batch) and ``helper``
(the process that applies it), ``query``, ``phrases`` and ``search`` (answering
a search), ``api`` (the route), ``commands`` and ``bulk`` (``domus reindex``),
``plugin`` (the hooks).
"""
