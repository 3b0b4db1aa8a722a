"""Convergence: 34 sites edit, delete and replicate at random; a final round makes them identical.

Every site is a whole Domus application with its own storage, in this one
process; sites replicate through the real WSGI endpoint (``WsgiTransport``),
as they would over HTTP.  Hypothesis chooses who edits which document, who
deletes it, and which site replicates to which, in which order; after a final
round (every site to a hub, the hub to every site) every site must hold the
same documents with the same revision trees, winners and conflicts.
"""
from __future__ import annotations

import base64
import contextlib
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webob import Request

from core.storage import open_db
from replication.peers import Peer, WsgiTransport
from replication.replicator import Replicator
from tests.conftest import ADMIN_PASSWORD, running_app

SITES = 34
DOCUMENTS = 6
ADMIN = ("admin", ADMIN_PASSWORD)
_names = itertools.count()
METADATA = {"$Created", "$Modified", "$UpdatedBy"}


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    with contextlib.ExitStack() as stack:
        apps = []
        for number in range(SITES):
            zodb = open_db("memory://")
            stack.callback(zodb.close)
            folder = tmp_path_factory.mktemp(f"site{number}")
            apps.append(stack.enter_context(running_app(
                zodb, {"zodbconn.uri": "memory://", "domus.var_dir": str(folder)})))
        yield apps


def _call(app, method: str, path: str, body: object = None, headers: dict | None = None):
    request = Request.blank(path, method=method, environ={"REQUEST_URI": path})
    request.authorization = ("Basic", base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode())
    for name, value in (headers or {}).items():
        request.headers[name] = value
    if body is not None:
        request.body = json.dumps(body).encode()
        request.content_type = "application/json"
    response = request.get_response(app)
    return response.status_int, json.loads(response.body or b"null")


def _peer(app, database: str) -> Peer:
    return Peer(f"http://site/replication/{database}", WsgiTransport(app, ADMIN), retries=0)


def _unid(index: int) -> str:
    return f"{index:032X}"


def _edit(app, database: str, index: int, value: int, delete: bool) -> None:
    docs = f"/api/databases/{database}/documents"
    status, current = _call(app, "GET", f"{docs}/{_unid(index)}")
    if status == 404 and not delete and current.get("error") == "not_found":
        _call(app, "POST", docs, {"@unid": _unid(index), "Value": value})
    elif status == 200 and delete:
        _call(app, "DELETE", f"{docs}/{_unid(index)}", headers={"If-Match": current["@rev"]})
    elif status == 200:
        _call(app, "PUT", f"{docs}/{_unid(index)}", {"Value": value},
              headers={"If-Match": current["@rev"]})


def _content(leaf: dict) -> str:
    """A leaf without the time and author of its making: the same edit made at two sites has
    one revision id, and whichever copy arrived first is kept."""
    return json.dumps({k: v for k, v in leaf.items() if k not in METADATA}, sort_keys=True)


def _state(app, database: str) -> dict:
    """Every document's leaves (with bodies) and winner, as the endpoint gives them."""
    _, feed = _call(app, "GET", f"/replication/{database}/_changes?style=all_docs")
    state = {}
    for row in feed["results"]:
        _, leaves = _call(app, "GET", f"/replication/{database}/{row['id']}?open_revs=all&revs=true")
        _, info = _call(app, "GET", f"/replication/{database}/_all_docs?keys=%5B%22{row['id']}%22%5D")
        state[row["id"]] = {"winner": info["rows"][0]["value"]["rev"],
                            "leaves": sorted(_content(leaf["ok"]) for leaf in leaves)}
    return state


step = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, SITES - 1), st.integers(0, DOCUMENTS - 1),
              st.integers(0, 3), st.booleans()),
    st.tuples(st.just("replicate"), st.integers(0, SITES - 1), st.integers(0, SITES - 1)),
)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=20, max_size=120))
def test_thirty_four_sites_converge_after_a_final_round(sites, steps):
    database = f"sim{next(_names)}"
    replica_id = f"{next(_names) + 1:016X}"
    for app in sites:
        assert _call(app, "PUT", f"/replication/{database}?replica_id={replica_id}")[0] == 201
    for kind, *args in steps:
        if kind == "edit":
            site, index, value, delete = args
            _edit(sites[site], database, index, value, delete)
        elif args[0] != args[1]:
            report = Replicator(_peer(sites[args[0]], database), _peer(sites[args[1]], database)).run()
            assert report.failures == 0, report.errors
    hub = sites[0]
    for app in sites[1:]:  # everyone to the hub, then the hub to everyone
        Replicator(_peer(app, database), _peer(hub, database)).run()
    for app in sites[1:]:
        Replicator(_peer(hub, database), _peer(app, database)).run()
    expected = _state(hub, database)
    for app in sites[1:]:
        assert _state(app, database) == expected
