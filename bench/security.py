"""Security benchmark: what the access gate costs a user whose Readers filter hides most documents.

Every read path asks the gate (``core.access``) whether the caller may see a
document.  For a document without Readers items the answer is immediate; for
one with Readers items it is one frozenset intersection of the caller's names
(person, groups, roles) with the document's Readers and Authors.  A listing
pays that per document it *scans*, not per row it returns: a user who may see
one document in ten scans ~10 documents for every visible row, so the gate is
cheap but the hidden documents it has to walk past are not free.

One Domus server (a real ``domus serve`` process) holds ``--documents``
Memos (~600 bytes of Russian text each, fixed seed); 90% carry
``Readers: ["Администраторы"]`` (a group the administrator belongs to), the
other 10% have no Readers item.  Two users are measured side by side in the
same run, over HTTP on loopback with Basic auth and one ``requests.Session``
each:

- ``admin`` sees every document;
- ``clerk`` (a Person created for the run, Author by the database's
  ``-Default-`` entry) sees only the unrestricted 10%.

Figures, as medians of ``--runs`` runs:

1. page reads/s: sequential ``GET .../documents?limit=50&startkey=KEY``,
   starting at random keys and following ``next`` for up to 10 pages before
   jumping to another random key; each page holds up to 50 visible rows, so
   the clerk's pages scan ~10x more documents than the admin's;
2. view page reads/s: ``GET .../views/MemosByDept?category=DEPT&count=50``
   of random departments (the documents template's categorised view): a
   page of one category with its count, which for the clerk leaves out the
   rows and counts of the hidden memos;
3. document reads/s: sequential ``GET .../documents/{unid}`` of random
   documents that user may read (any document for the admin, the
   unrestricted ones for the clerk).

For each figure it prints clerk/admin and PASS/FAIL against the target
"filtered read within 2x of unfiltered" (ratio ≥ 0.5), and writes the
figures to ``bench/results/security-DATE.json``.

    .venv/bin/python bench/security.py                       # 100,000 documents, 3 runs
    .venv/bin/python bench/security.py --documents 5000 --runs 1
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import requests
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peers import DomusPeer, save_results  # noqa: E402

# ``core`` here is bench/core.py (the bench folder is first on sys.path), not the server package.
from core import DEPARTMENTS, WORDS, ratio  # noqa: E402

SEED = 2026
BULK = 500
PAGE = 50
WALK = 10  # pages followed through ``next`` before jumping to another random start key
HIDDEN_GROUP = "Администраторы"  # the administrator is in it, the clerk is not
CLERK = ("clerk", "clerk-password-1")
TARGET = 0.5  # filtered read within 2x of unfiltered
FIGURES = ("page_reads_per_s", "view_page_reads_per_s", "document_reads_per_s")


def hidden(index: int) -> bool:
    """Is document ``index`` restricted to the administrators? Nine in ten are."""
    return index % 10 != 0


def make_memo(rng: random.Random, index: int) -> dict:
    """A Memo with ~600 bytes of Russian text in its Body."""
    words: list[str] = []
    while len(" ".join(words).encode()) < 600:
        words.append(rng.choice(WORDS))
    memo = {
        "Form": "Memo",
        "Subject": f"Служебная записка № {index}: " + " ".join(rng.choice(WORDS) for _ in range(5)),
        "Body": " ".join(words),
        "Dept": rng.choice(DEPARTMENTS),
    }
    if hidden(index):
        memo["Readers"] = [HIDDEN_GROUP]
    return memo


def check(response: requests.Response, status: int, what: str) -> requests.Response:
    if response.status_code != status:
        raise SystemExit(f"{what}: expected {status}, got {response.status_code}: {response.text[:500]}")
    return response


# ---------------------------------------------------------------------------
# setup through the HTTP API
# ---------------------------------------------------------------------------


def create_clerk(peer: DomusPeer, admin: requests.Session) -> requests.Session:
    user, password = CLERK
    person = {"Form": "Person", "UserName": user, "FullName": "Clerk", "Password": password}
    check(admin.post(f"{peer.url}/api/databases/directory/documents", json=person), 201, "create clerk")
    session = requests.Session()
    session.auth = CLERK
    return session


def load(peer: DomusPeer, admin: requests.Session, total: int,
         seed: int) -> tuple[list[str], list[str], float]:
    """Write ``total`` memos in bulks of 500; return (every unid, the clerk's unids, docs/s)."""
    rng = random.Random(seed)
    every: list[str] = []
    visible: list[str] = []
    started = time.perf_counter()
    with tqdm(total=total, desc="loading", unit="doc", unit_scale=True) as bar:
        for offset in range(0, total, BULK):
            indexes = range(offset, min(offset + BULK, total))
            unids = peer.create_bulk(admin, [make_memo(rng, i) for i in indexes])
            every.extend(unids)
            visible.extend(unid for i, unid in zip(indexes, unids, strict=True) if not hidden(i))
            bar.update(len(unids))
    return every, visible, total / (time.perf_counter() - started)


def verify(peer: DomusPeer, admin: requests.Session, clerk: requests.Session,
           every: list[str], visible: list[str]) -> None:
    """Both users see the totals they should, and the clerk cannot open a hidden document."""
    for name, session, expected in (("admin", admin, len(every)), ("clerk", clerk, len(visible))):
        answer = check(session.get(peer.docs(), params={"limit": 1}), 200, f"listing as {name}").json()
        if answer["total"] != expected:
            raise SystemExit(f"the listing as {name} reports total {answer['total']}, expected {expected}: "
                             "the Readers filter is not what this benchmark assumes")
    shown = set(visible)
    secret = next(unid for unid in every if unid not in shown)
    check(clerk.get(f"{peer.docs()}/{secret}"), 404, "clerk reading a hidden document")
    check(admin.get(f"{peer.docs()}/{secret}"), 200, "admin reading a hidden document")


# ---------------------------------------------------------------------------
# workloads
# ---------------------------------------------------------------------------


def page_reads(peer: DomusPeer, session: requests.Session, starts: list[str], count: int,
               allowed: set[str] | None) -> tuple[float, float]:
    """``count`` listing pages of 50; return (pages/s, mean rows per page).

    Walks start at ``starts`` in turn and follow ``next`` for up to ``WALK``
    pages.  Rows are checked against ``allowed`` after the clock stops.
    """
    url = peer.docs()
    pages: list[list[dict]] = []
    jumps = iter(starts)
    key, walked = next(jumps), 0
    started = time.perf_counter()
    for _ in range(count):
        response = session.get(url, params={"limit": PAGE, "startkey": key})
        if response.status_code != 200:
            raise SystemExit(f"page read: {response.status_code}: {response.text[:500]}")
        answer = response.json()
        pages.append(answer["rows"])
        walked += 1
        key = answer["next"]
        if key is None or walked == WALK:
            key, walked = next(jumps), 0
    elapsed = time.perf_counter() - started
    rows = [row["@unid"] for page in pages for row in page]
    if any(len(page) > PAGE for page in pages):
        raise SystemExit("a page held more rows than its limit")
    if allowed is not None and not allowed.issuperset(rows):
        raise SystemExit("the clerk's listing showed a document hidden by its Readers item")
    return count / elapsed, len(rows) / count


def view_page_reads(peer: DomusPeer, session: requests.Session, departments: list[str],
                    allowed: set[str] | None) -> float:
    """Pages of 50 rows of one category of the MemosByDept view, with the category's count."""
    url = f"{peer.url}/api/databases/bench/views/MemosByDept"
    shown: list[str] = []
    started = time.perf_counter()
    for department in departments:
        response = session.get(url, params={"category": department, "count": PAGE})
        if response.status_code != 200:
            raise SystemExit(f"view page read: {response.status_code}: {response.text[:500]}")
        shown.extend(row["@unid"] for row in response.json()["rows"])
    elapsed = time.perf_counter() - started
    if allowed is not None and not allowed.issuperset(shown):
        raise SystemExit("the clerk's view page showed a document hidden by its Readers item")
    return len(departments) / elapsed


def document_reads(peer: DomusPeer, session: requests.Session, unids: list[str]) -> float:
    url = peer.docs()
    started = time.perf_counter()
    for unid in unids:
        response = session.get(f"{url}/{unid}")
        if response.status_code != 200:
            raise SystemExit(f"document read {unid}: {response.status_code}: {response.text[:500]}")
    return len(unids) / (time.perf_counter() - started)


def measure(peer: DomusPeer, users: dict[str, requests.Session], every: list[str], visible: list[str],
            args: argparse.Namespace, run: int) -> dict[str, dict[str, float]]:
    """One run: both users on the same start keys, one after the other (the order alternates)."""
    pages, reads = args.requests
    rng = random.Random(args.seed * 1000 + run)
    starts = [rng.choice(every) for _ in range(pages + 1)]  # more than any walk can use
    readable = {"admin": every, "clerk": visible}
    allowed = {"admin": None, "clerk": set(visible)}
    figures: dict[str, dict[str, float]] = {}
    order = list(users) if run % 2 == 0 else list(reversed(users))
    for name in order:
        session = users[name]
        per_s, rows = page_reads(peer, session, starts, pages, allowed[name])
        departments = [rng.choice(DEPARTMENTS) for _ in range(pages)]
        view_per_s = view_page_reads(peer, session, departments, allowed[name])
        chosen = [rng.choice(readable[name]) for _ in range(reads)]
        figures[name] = {"page_reads_per_s": per_s, "rows_per_page": rows,
                         "view_page_reads_per_s": view_per_s,
                         "document_reads_per_s": document_reads(peer, session, chosen)}
    return figures


def warm_up(peer: DomusPeer, users: dict[str, requests.Session], every: list[str],
            visible: list[str]) -> None:
    """Walk the whole listing once as the clerk (touching every document), then a few reads each."""
    key: str | None = ""
    while key is not None:
        answer = check(users["clerk"].get(peer.docs(), params={"limit": 1000, "startkey": key}),
                       200, "warm-up listing").json()
        key = answer["next"]
    for name, unids in (("admin", every), ("clerk", visible)):
        document_reads(peer, users[name], unids[:: max(1, len(unids) // 200)])


# ---------------------------------------------------------------------------


def report(results: dict) -> bool:
    ok = True
    admin, clerk = results["admin"], results["clerk"]
    print(f"\n{'figure':<24}{'admin':>12}{'clerk':>12}{'clerk/admin':>13}  target")
    for key in FIGURES:
        share = ratio(clerk[key], admin[key])
        passed = share >= TARGET
        ok &= passed
        print(f"{key:<24}{admin[key]:>12,.0f}{clerk[key]:>12,.0f}{share:>12.2f}x  "
              f"≥ {TARGET:g}x {'PASS' if passed else 'FAIL'}")
    print(f"{'rows_per_page':<24}{admin['rows_per_page']:>12,.1f}{clerk['rows_per_page']:>12,.1f}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=100_000, help="memos to load (90%% hidden)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, nargs=2, default=[300, 2000], metavar=("PAGES", "READS"),
                        help="requests per user and run: listing pages, then document reads")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    if args.documents < 10:
        parser.error("--documents must be at least 10")

    results: dict = {"date": date.today().isoformat(), "args": vars(args)}
    per_run: dict[str, list[dict[str, float]]] = {"admin": [], "clerk": []}
    with tempfile.TemporaryDirectory(prefix="domus-bench-") as tmp:
        peer = DomusPeer(Path(tmp) / "domus")
        peer.folder.mkdir(parents=True)
        try:
            peer.start()
            admin = peer.session()
            users = {"admin": admin, "clerk": create_clerk(peer, admin)}
            peer.create_db()
            every, visible, load_rate = load(peer, admin, args.documents, args.seed)
            verify(peer, admin, users["clerk"], every, visible)
            results["setup"] = {"documents": len(every), "visible_to_clerk": len(visible),
                                "load_docs_per_s": load_rate}
            print(f"loaded {len(every):,} documents ({load_rate:,.0f} docs/s); "
                  f"the clerk sees {len(visible):,}", flush=True)
            warm_up(peer, users, every, visible)
            for run in range(args.runs):
                figures = measure(peer, users, every, visible, args, run)
                for name, values in figures.items():
                    per_run[name].append(values)
                    print(f"run {run + 1}/{args.runs} {name:<6} "
                          + "  ".join(f"{k}={v:,.1f}" for k, v in values.items()), flush=True)
            results["server_rss_mib"] = peer.rss()
        finally:
            peer.stop()
    for name, runs in per_run.items():
        results[name] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        results[name]["runs"] = runs
    results["clerk_over_admin"] = {key: ratio(results["clerk"][key], results["admin"][key])
                                   for key in FIGURES}
    ok = report(results)
    save_results("security", results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
