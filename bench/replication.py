"""Replication benchmark: Domus to Domus against pouchdb-server to pouchdb-server, in one run.

1. A database of ``--docs`` documents (default 20,000: registered letters with
   ten items, Russian text, fixed seed; 10% carry a 100 KB scan) is loaded
   into one Domus server and one pouchdb-server (LevelDB on disk).  Each run
   replicates it in full, over loopback, to a new database on a second server
   of the same kind: Domus with ``domus replicate``'s replicator (batches of
   500, its default, as CouchDB's), pouchdb-server with its own ``_replicate``
   (PouchDB's replicator, its default batches of 100).  Prints documents per second for each, the
   medians of ``--runs`` runs alternating the peers, and the ratio.
2. Incremental replication: a database of ``--incremental`` documents
   (default 1,000,000) is replicated to a second Domus server by copying its
   data folder, with the checkpoints both sides would have kept; then 100
   documents change and one replication moves them.  Target: under 2 s.

    .venv/bin/python bench/replication.py                       # everything
    .venv/bin/python bench/replication.py --docs 5000 --runs 1 --incremental 0
"""
from __future__ import annotations

import argparse
import base64
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

# The repository first: this script's own name would otherwise hide the ``replication`` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _peers import PASSWORD, DomusPeer, PouchPeer, bench_module, save_results  # noqa: E402

from replication.peers import Peer  # noqa: E402
from replication.replicator import Replicator  # noqa: E402

make_doc = bench_module("core").make_doc  # the ~900-byte incoming letter of bench/core.py
SCAN_BYTES = 100 * 1024


def letters(count: int, seed: int = 7) -> list[tuple[dict, bytes | None]]:
    """``(items, scan or None)``: one letter in ten carries a 100 KB scan."""
    rng = random.Random(seed)
    return [(make_doc(rng, n), rng.randbytes(SCAN_BYTES) if n % 10 == 0 else None) for n in range(count)]


def domus_url(peer: DomusPeer, database: str) -> str:
    return f"http://admin:{PASSWORD}@127.0.0.1:{peer.port}/replication/{database}"


def load_domus(peer: DomusPeer, data: list[tuple[dict, bytes | None]]) -> None:
    peer.create_db()
    session = peer.session()
    for start in range(0, len(data), 1000):
        chunk = data[start:start + 1000]
        written = session.post(peer.docs(), json=[items for items, _ in chunk])
        written.raise_for_status()
        for row, (_, scan) in zip(written.json(), chunk, strict=True):
            if scan is not None:
                session.put(f"{peer.docs()}/{row['@unid']}/attachments/scan.pdf", data=scan,
                            headers={"If-Match": row["@rev"], "Content-Type": "application/pdf"}
                            ).raise_for_status()


def load_pouch(peer: PouchPeer, data: list[tuple[dict, bytes | None]]) -> None:
    peer.create_db()
    session = peer.session()
    for start in range(0, len(data), 500):
        docs = []
        for items, scan in data[start:start + 500]:
            doc = dict(items)
            if scan is not None:
                doc["_attachments"] = {"scan.pdf": {"content_type": "application/pdf",
                                                    "data": base64.b64encode(scan).decode()}}
            docs.append(doc)
        session.post(f"{peer.url}/{peer.database}/_bulk_docs", json={"docs": docs}).raise_for_status()


def replicate_domus(source: DomusPeer, target: DomusPeer, run: int) -> float:
    started = time.perf_counter()
    report = Replicator(Peer(domus_url(source, source.database)),
                        Peer(domus_url(target, f"copy{run}")), create_target=True).run()
    seconds = time.perf_counter() - started
    assert report.failures == 0, report.errors
    return report.docs_written / seconds


def replicate_pouch(source: PouchPeer, target: PouchPeer, run: int, count: int) -> float:
    started = time.perf_counter()
    answer = target.session().post(f"{target.url}/_replicate", timeout=3600, json={
        "source": f"{source.url}/{source.database}", "target": f"{target.url}/copy{run}",
        "create_target": True})
    seconds = time.perf_counter() - started
    answer.raise_for_status()
    assert answer.json().get("docs_written") == count, answer.text[:300]
    return count / seconds


def measure_full(tmp: Path, args) -> dict:
    data = letters(args.docs)
    peers = {"domus": (DomusPeer(tmp / "d1"), DomusPeer(tmp / "d2")),
             "pouchdb-server": (PouchPeer(tmp / "p1"), PouchPeer(tmp / "p2"))}
    rates: dict[str, list[float]] = {name: [] for name in peers}
    try:
        for pair in peers.values():
            for peer in pair:
                peer.folder.mkdir(parents=True)
                peer.start()
        print(f"loading {args.docs:,} documents into each source …", flush=True)
        load_domus(peers["domus"][0], data)
        load_pouch(peers["pouchdb-server"][0], data)
        for run in range(args.runs):
            rates["domus"].append(replicate_domus(*peers["domus"], run))
            rates["pouchdb-server"].append(replicate_pouch(*peers["pouchdb-server"], run, args.docs))
            print(f"run {run + 1}/{args.runs}: " + "  ".join(
                f"{name}={values[-1]:,.0f} docs/s" for name, values in rates.items()), flush=True)
    finally:
        for pair in peers.values():
            for peer in pair:
                peer.stop()
    return {name: {"docs_per_s": statistics.median(values), "runs": values}
            for name, values in rates.items()}


def measure_incremental(tmp: Path, total: int) -> dict:
    """Seconds to replicate 100 changed documents out of ``total``, from a checkpoint."""
    source = DomusPeer(tmp / "i1")
    source.folder.mkdir(parents=True)
    source.start()
    print(f"loading {total:,} documents for the incremental run …", flush=True)
    try:
        source.create_db()
        session = source.session()
        unids = []
        for start in range(0, total, 5000):
            chunk = [items for items, _ in letters(5000, seed=start)][: total - start]
            unids += [row["@unid"] for row in session.post(source.docs(), json=chunk).json()]
    finally:
        source.stop()
    shutil.copytree(source.folder, tmp / "i2")  # a replica as a full copy would make it
    target = DomusPeer(tmp / "i2")
    source, target = DomusPeer(tmp / "i1"), target
    source.start()
    target.start()
    try:
        replicator = Replicator(Peer(domus_url(source, source.database)),
                                Peer(domus_url(target, target.database)))
        rep_id = replicator.replication_id()
        seq = source.session().get(f"{source.url}/replication/{source.database}").json()["update_seq"]
        checkpoint = {"session_id": "copy", "last_seq": seq,
                      "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        for peer in (source, target):
            peer.session().put(f"{peer.url}/replication/{peer.database}/_local/{rep_id}",
                               json={"history": [checkpoint], "last_seq": seq}).raise_for_status()
        session = source.session()
        for unid in random.Random(3).sample(unids, 100):
            current = session.get(f"{source.docs()}/{unid}").json()
            session.put(f"{source.docs()}/{unid}", json={**current, "Status": "исполнен"})
        started = time.perf_counter()
        report = replicator.run()
        seconds = time.perf_counter() - started
        assert report.docs_written == 100, report
        return {"documents": total, "changed": 100, "seconds": seconds}
    finally:
        source.stop()
        target.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--incremental", type=int, default=1_000_000,
                        help="documents in the database of the incremental run (0 skips it)")
    args = parser.parse_args()
    results: dict = {"date": date.today().isoformat(), "args": vars(args)}
    ok = True
    with tempfile.TemporaryDirectory(prefix="domus-bench-repl-") as tmp:
        if args.docs:
            results.update(measure_full(Path(tmp), args))
            ours, theirs = results["domus"]["docs_per_s"], results["pouchdb-server"]["docs_per_s"]
            ok &= ours >= theirs
            print(f"\n{'full replication':<28}{'Domus':>12}{'pouchdb-server':>16}{'ours/theirs':>13}")
            print(f"{'docs/s @' + format(args.docs, ','):<28}{ours:>12,.0f}{theirs:>16,.0f}"
                  f"{ours / theirs:>12.2f}x  ≥ 1.0x {'PASS' if ours >= theirs else 'FAIL'}")
        if args.incremental:
            figures = results["incremental"] = measure_incremental(Path(tmp), args.incremental)
            passed = figures["seconds"] < 2.0
            ok &= passed
            print(f"incremental: 100 of {figures['documents']:,} in {figures['seconds']:.2f} s  "
                  f"< 2 s {'PASS' if passed else 'FAIL'}")
    save_results("replication", results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
