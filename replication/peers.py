"""One side of a replication: a database behind a CouchDB-protocol URL.

A ``Peer`` speaks to ``…/replication/{db}`` of a Domus server, to PouchDB
Server or to CouchDB, the same way.  The transport is HTTP (``requests``) or,
for a server in this very process, its WSGI application: the simulation of
many sites runs through the real endpoint without opening sockets.  Network
failures and busy answers are retried with a growing pause; other errors
become a ``PeerError`` with the peer's own words.
"""
from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from webob import Request

from core.exceptions import DomusError
from core.text import utf8

RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})
TIMEOUT_SECONDS = 120
#: The most a ``_bulk_docs`` body holds at first: under Domus's own ``domus.max_json_bytes``
#: (16 MiB by default), so a page of large files is sent in parts; a peer that still answers 413
#: gets each half on its own (CouchDB's replicator does the same).  A page is one transaction on a
#: Domus target, and the fewer, larger transactions, the fewer index pages each writes.
MAX_BODY_BYTES = 15 * 1024 * 1024
TOO_LARGE = 413


def encode(body: object) -> bytes:
    """JSON as UTF-8 text: Cyrillic items travel as two bytes a letter, not six of ``\\uXXXX``."""
    return body if isinstance(body, bytes) else utf8(json.dumps(body, ensure_ascii=False))


class PeerError(DomusError):
    """A peer refused or failed a request; ``status`` and the peer's ``error`` are kept."""

    status, code = 502, "peer_error"

    def __init__(self, message: str, status: int = 502, error: str = "peer_error") -> None:
        super().__init__(message)
        self.status, self.code = (status if status < 500 else 502), error


class HttpTransport:
    """Requests over HTTP(S), one keep-alive session per peer."""

    def __init__(self, auth: tuple[str, str] | None = None, token: str | None = None) -> None:
        self.auth, self.token = auth, token
        self.session = requests.Session()
        self.session.auth = auth
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def twin(self) -> HttpTransport:
        """The same credentials on connections of their own, for another thread."""
        return HttpTransport(self.auth, self.token)

    def send(self, method: str, url: str, params: dict | None, body: object) -> tuple[int, object]:
        response = self.session.request(method, url, params=params, timeout=TIMEOUT_SECONDS,
                                        data=None if body is None else encode(body),
                                        headers={"Content-Type": "application/json",
                                                 "Accept": "application/json"})
        try:
            return response.status_code, json.loads(response.content)
        except ValueError:
            return response.status_code, {"error": "bad_response", "reason": response.text[:200]}


class WsgiTransport:
    """Requests handed straight to a WSGI application (a server in this process)."""

    def __init__(self, app, auth: tuple[str, str] | None = None) -> None:
        self.app = app
        self.auth = auth

    def twin(self) -> WsgiTransport:
        return self  # a WSGI application serves many threads

    def send(self, method: str, url: str, params: dict | None, body: object) -> tuple[int, object]:
        parts = urlsplit(url)
        query = "&".join(f"{quote(str(k))}={quote(str(v))}" for k, v in (params or {}).items())
        path = parts.path + (f"?{query}" if query else "")
        request = Request.blank(path, method=method, environ={"REQUEST_URI": path})
        request.headers["Accept"] = "application/json"
        if self.auth:
            request.authorization = ("Basic", _basic(self.auth))
        if body is not None:
            request.body = encode(body)
            request.content_type = "application/json"
        response = request.get_response(self.app)
        try:
            return response.status_int, json.loads(response.body or b"null")
        except ValueError:
            return response.status_int, {"error": "bad_response", "reason": response.text[:200]}


def _basic(auth: tuple[str, str]) -> str:
    return base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")


class Peer:
    """A database at ``url`` (``http://user:password@host:port/replication/name``)."""

    def __init__(self, url: str, transport=None, retries: int = 8,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PeerError(f"{url!r} is not an http(s) URL of a database", 400, "bad_request")
        auth = (parts.username, parts.password or "") if parts.username else None
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.url = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self.server_url, _, name = self.url.rpartition("/")
        self.name = name
        self.transport = transport or HttpTransport(auth)
        self.retries = retries
        self.sleep = sleep

    def __str__(self) -> str:
        return self.url

    def twin(self) -> Peer:
        """The same database through a transport of its own (a second thread's)."""
        twin = getattr(self.transport, "twin", None)
        return Peer(self.url, twin() if twin else self.transport, self.retries, self.sleep)

    # -- requests ------------------------------------------------------------
    def request(self, method: str, path: str = "", params: dict | None = None, body: object = None,
                ok: tuple[int, ...] = (200, 201), url: str | None = None) -> object:
        """One request, retried on network errors and busy answers; the decoded JSON answer."""
        target = url or (self.url + (f"/{path}" if path else ""))
        for attempt in range(self.retries + 1):
            try:
                status, answer = self.transport.send(method, target, params, body)
            except requests.RequestException as error:
                status, answer = 0, {"error": "unreachable", "reason": str(error)[:300]}
            if status in ok:
                return answer
            if (status and status not in RETRY_STATUSES) or attempt == self.retries:
                break
            self.sleep(min(30.0, 0.25 * 2**attempt) * random.uniform(0.5, 1.0))
        answer = answer if isinstance(answer, dict) else {}
        raise PeerError(f"{method} {target}: {status or 'no answer'} "
                        f"{answer.get('error', '')}: {answer.get('reason') or answer.get('message', '')}",
                        status or 502, str(answer.get("error") or "peer_error"))

    def server_uuid(self) -> str:
        welcome = self.request("GET", url=self.server_url + "/")
        return str(welcome.get("uuid") or self.server_url)

    def info(self) -> dict | None:
        """The database's info, or None if it does not exist."""
        try:
            return self.request("GET")
        except PeerError as error:
            if error.status == 404:
                return None
            raise

    def create(self, replica_id: str | None = None, template: str | None = None) -> None:
        params = {key: value for key, value in (("replica_id", replica_id), ("template", template))
                  if value}
        self.request("PUT", params=params or None)

    def changes(self, since: object, limit: int, longpoll_ms: int = 0) -> dict:
        params = {"style": "all_docs", "since": since, "limit": limit}
        if longpoll_ms:
            params.update(feed="longpoll", timeout=longpoll_ms)
        return self.request("GET", "_changes", params)

    def revs_diff(self, revs: dict[str, list[str]]) -> dict:
        return self.request("POST", "_revs_diff", body=revs) if revs else {}

    def bulk_get(self, wanted: list[dict]) -> list[dict]:
        """The ``ok`` documents asked for, with their history and their files inline.

        A peer that finds the answer too large (413: Domus weighs it against
        ``domus.max_answer_bytes`` before building it) is asked for each half on its own.
        """
        return _in_halves(self._bulk_get, wanted) if wanted else []

    def _bulk_get(self, wanted: list[dict]) -> list[dict]:
        answer = self.request("POST", "_bulk_get", {"revs": "true", "attachments": "true",
                                                    "latest": "true"}, {"docs": wanted})
        return [entry["ok"] for result in answer["results"] for entry in result["docs"] if "ok" in entry]

    def bulk_docs(self, docs: list[dict]) -> list[dict]:
        """Write replicated revisions, in bodies of at most ``MAX_BODY_BYTES``; the per-document errors."""
        encoded = [encode(doc) for doc in docs]
        return [error for part in _parts(encoded, MAX_BODY_BYTES)
                for error in _in_halves(self._bulk_docs, part)]

    def _bulk_docs(self, docs: list[bytes]) -> list[dict]:
        """One body of encoded documents."""
        body = b'{"new_edits":false,"docs":[' + b",".join(docs) + b"]}"
        answer = self.request("POST", "_bulk_docs", body=body)
        return [row for row in answer if isinstance(row, dict) and "error" in row]

    def get_local(self, local_id: str) -> dict | None:
        try:
            return self.request("GET", f"_local/{quote(local_id, safe='')}")
        except PeerError as error:
            if error.status == 404:
                return None
            raise

    def put_local(self, local_id: str, doc: dict) -> str | None:
        """Store a checkpoint; its new revision, for the next one (no second request to learn it)."""
        answer = self.request("PUT", f"_local/{quote(local_id, safe='')}", body=doc)
        return answer.get("rev") if isinstance(answer, dict) else None

    def ensure_full_commit(self) -> None:
        self.request("POST", "_ensure_full_commit", body={})


def _in_halves(ask: Callable[[list], list], items: list) -> list:
    """``ask(items)``; while the peer finds the request too large (413), each half on its own."""
    try:
        return ask(items)
    except PeerError as error:
        if error.status != TOO_LARGE or len(items) < 2:
            raise
        half = len(items) // 2
        return _in_halves(ask, items[:half]) + _in_halves(ask, items[half:])


def _parts(docs: list[bytes], budget: int) -> list[list[bytes]]:
    """Consecutive runs of encoded documents, each under ``budget`` bytes unless one alone is over."""
    parts: list[list[bytes]] = [[]]
    size = 0
    for doc in docs:
        if parts[-1] and size + len(doc) > budget:
            parts.append([])
            size = 0
        parts[-1].append(doc)
        size += len(doc) + 1
    return [part for part in parts if part]
