"""Replication: the CouchDB-protocol endpoint under ``/replication`` and the replicator.

A built-in plugin (``replication.plugin``): the endpoint lets any peer that
speaks CouchDB's replication protocol (another Domus server, PouchDB, CouchDB)
pull and push documents through the one visibility gate; the replicator moves
changes between two such endpoints with checkpoints on both sides, so an
interrupted run resumes where it stopped.  docs/replication.md is the guide.
"""
