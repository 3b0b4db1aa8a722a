"""Replication benchmark: Domus to Domus against pouchdb-server to pouchdb-server, in one run.

1. A database of ``--docs`` documents (default 20,000: registered letters with
   ten items, Russian text, fixed seed; 10% carry a 100 KB "scan": random bytes
   named scan.pdf, which the full-text indexer skips at once for lack of a PDF
   header, so the figure is replication's, not text extraction's) is loaded
   into one Domus server and one pouchdb-server (LevelDB on disk).  Each run
   replicates it in full, over loopback, to a new database on a second server
   of the same kind: Domus with ``domus replicate``'s replicator (batches of
   1,000, its default), pouchdb-server with its own ``_replicate``
   (PouchDB's replicator, its default batches of 100).  Every run starts once
   all four servers are idle (a Domus server indexes what it received for full
   text in the background: the loading, and the previous run, must not be
   counted against the next).  Prints documents per second for each, the
   medians of ``--runs`` runs alternating the peers, and the ratio; and, for
   each Domus run, the CPU the target server used in its own process and in
   its full-text helper process during the replication, and how long after
   the replication its full-text index had caught up (the work the helper
   defers to idle CPU is shown, not hidden).
2. Incremental replication: a database of ``--incremental`` documents
   (default 1,000,000; several sizes may be given) is built once in
   ``bench/.cache/replication-N/`` straight through the storage, views and
   full-text index included (``--fresh`` builds it again), copied to two Domus
   servers as a replica with the checkpoints both sides would have kept; then
   100 documents change and one replication moves them.  Target: under 2 s.

    .venv/bin/python bench/replication.py                       # everything
    .venv/bin/python bench/replication.py --docs 5000 --runs 1 --incremental 0
    .venv/bin/python bench/replication.py --docs 0 --incremental 100000 300000
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

# The repository first: this script's own name would otherwise hide the ``replication`` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _peers import CACHE, PASSWORD, ROOT, DomusPeer, Peer, PouchPeer, bench_module, save_results  # noqa: E402

from core.plugins import make_plugin_manager  # noqa: E402
from core.root import server_root  # noqa: E402
from core.storage import connection_scope, open_db  # noqa: E402
from core.templates import database_from_template, install_database, load_templates  # noqa: E402
from core.writes import Writer  # noqa: E402
from replication.peers import Peer as Endpoint  # noqa: E402
from replication.replicator import Replicator  # noqa: E402

make_doc = bench_module("core").make_doc  # the ~900-byte incoming letter of bench/core.py
SCAN_BYTES = 100 * 1024
COMMIT_EVERY = 5000
QUIET_CPU_SHARE = 0.05  # a server using less than this of a core …
QUIET_SECONDS = 3  # … for this long is idle (the worker's tasks run every 2 s)


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
    report = Replicator(Endpoint(domus_url(source, source.database)),
                        Endpoint(domus_url(target, f"copy{run}")), create_target=True).run()
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


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a child started by any thread, such as the full-text helper)."""
    found, queue = [], [pid]
    while queue:
        one = queue.pop()
        found.append(one)
        for task in Path(f"/proc/{one}/task").glob("*"):
            with contextlib.suppress(OSError):  # the thread ended meanwhile
                queue.extend(int(p) for p in (task / "children").read_text().split())
    return found


def cpu_seconds(pid: int, children: bool = True) -> float:
    """CPU time used so far by a process and (unless ``children`` is false) its descendants."""
    total = 0.0
    for one in process_tree(pid) if children else [pid]:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def fulltext_caught_up(peer: DomusPeer, database: str, timeout: float = 1800) -> float:
    """Seconds until ``peer``'s full-text index of ``database`` holds the whole feed (its serving
    generation's checkpoint, see views/fulltext/index.py)."""
    started = time.perf_counter()
    last = peer.session().get(f"{peer.url}/replication/{database}").json()["update_seq"]
    folder = peer.folder / "var" / "fulltext" / database
    while time.perf_counter() - started < timeout:
        try:
            checkpoint = json.loads((folder / (folder / "current").read_text().strip()
                                     / "checkpoint.json").read_text())
            if checkpoint["complete"] and checkpoint["seq"] >= last:
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    return time.perf_counter() - started


def wait_until_idle(peers: list[Peer], timeout: float = 1800) -> float:
    """Seconds until every server used less than ``QUIET_CPU_SHARE`` of a core for ``QUIET_SECONDS``."""
    started = time.perf_counter()
    pids = [peer.process.pid for peer in peers if peer.process is not None]
    used, quiet = sum(map(cpu_seconds, pids)), 0
    while quiet < QUIET_SECONDS and time.perf_counter() - started < timeout:
        time.sleep(1)
        now = sum(map(cpu_seconds, pids))
        quiet = quiet + 1 if now - used < QUIET_CPU_SHARE * len(pids) else 0
        used = now
    return time.perf_counter() - started


def measure_full(tmp: Path, args) -> dict:
    data = letters(args.docs)
    peers = {"domus": (DomusPeer(tmp / "d1"), DomusPeer(tmp / "d2")),
             "pouchdb-server": (PouchPeer(tmp / "p1"), PouchPeer(tmp / "p2"))}
    rates: dict[str, list[float]] = {name: [] for name in peers}
    lags: list[float] = []  # seconds from the end of a Domus replication to its target's index caught up
    try:
        for pair in peers.values():
            for peer in pair:
                peer.folder.mkdir(parents=True)
                peer.start()
        print(f"loading {args.docs:,} documents into each source …", flush=True)
        load_domus(peers["domus"][0], data)
        load_pouch(peers["pouchdb-server"][0], data)
        servers = [peer for pair in peers.values() for peer in pair]
        target = peers["domus"][1]
        for run in range(args.runs):
            print(f"waiting {wait_until_idle(servers):.0f} s for the servers to be idle", flush=True)
            server_cpu, all_cpu = cpu_seconds(target.process.pid, False), cpu_seconds(target.process.pid)
            rates["domus"].append(replicate_domus(*peers["domus"], run))
            server_cpu = cpu_seconds(target.process.pid, False) - server_cpu
            helper_cpu = cpu_seconds(target.process.pid) - all_cpu - server_cpu
            lags.append(fulltext_caught_up(target, f"copy{run}"))
            print(f"  domus target during the replication: {server_cpu:.1f} CPU-s in the server "
                  f"process, {helper_cpu:.1f} in its children (the full-text helper); its full-text "
                  f"index caught up {lags[-1]:.1f} s after the replication ended", flush=True)
            wait_until_idle(servers)
            rates["pouchdb-server"].append(replicate_pouch(*peers["pouchdb-server"], run, args.docs))
            print(f"run {run + 1}/{args.runs}: " + "  ".join(
                f"{name}={values[-1]:,.0f} docs/s" for name, values in rates.items()), flush=True)
    finally:
        for pair in peers.values():
            for peer in pair:
                peer.stop()
    results = {name: {"docs_per_s": statistics.median(values), "runs": values}
               for name, values in rates.items()}
    results["domus"]["fulltext_caught_up_s"] = lags
    return results


def big_database(count: int, fresh: bool) -> Path:
    """``bench/.cache/replication-N``: a server's data folder whose ``bench`` database holds ``count``
    letters without scans, built once; a server has run on it until idle, so the servers measured
    on its copies have nothing left to derive in the background (the views' summary log)."""
    folder = CACHE / f"replication-{count}"
    if (folder / "loaded.json").exists() and not fresh:
        print(f"using the database of {count:,} documents in {folder} (--fresh builds it again)")
    else:
        build_database(folder, count)
    server = DomusPeer(folder)
    server.start()
    try:
        print(f"letting a server settle on it: {wait_until_idle([server]):.0f} s", flush=True)
    finally:
        server.stop()
    return folder


def build_database(folder: Path, count: int) -> None:
    """Write the letters straight through the storage, 5,000 to a transaction (no HTTP, no commit
    a request): the views follow through the save hooks, ``domus reindex`` builds the full text."""
    shutil.rmtree(folder, ignore_errors=True)
    peer = DomusPeer(folder)
    folder.mkdir(parents=True)
    cli = {"cwd": ROOT, "check": True, "env": {**os.environ, "DOMUS_ADMIN_PASSWORD": PASSWORD}}
    subprocess.run(peer._cli("init"), capture_output=True, **cli)
    started = time.perf_counter()
    pm = make_plugin_manager(load_entry_points=False)
    var = folder / "var"
    db = open_db(f"file://{var}/Data.fs?blobstorage_dir={var}/blobs")
    with connection_scope(db) as (tm, connection):
        tm.begin()
        install_database(server_root(connection), pm,
                         database_from_template(load_templates(pm), "documents", name=DomusPeer.database))
        tm.commit()
        writer = Writer(pm, "bench", tm)
        for offset in range(0, count, COMMIT_EVERY):
            tm.begin()
            database = server_root(connection).get_database(DomusPeer.database)
            for items, _ in letters(min(COMMIT_EVERY, count - offset), seed=offset):
                writer.create(database, items)
            tm.commit()
            connection.cacheMinimize()
            print(f"\rloading {offset + COMMIT_EVERY:,} of {count:,} …", end="", flush=True)
    db.close()
    loaded = time.perf_counter() - started
    print(f"\nindexing {count:,} documents for full text …", flush=True)
    subprocess.run(peer._cli("reindex", DomusPeer.database), **cli)
    seconds = {"load_seconds": loaded, "index_seconds": time.perf_counter() - started - loaded}
    (folder / "loaded.json").write_text(json.dumps({"documents": count, **seconds}))
    print(f"built in {sum(seconds.values()):,.0f} s ({loaded:,.0f} s loading)")


def measure_incremental(tmp: Path, total: int, runs: int, fresh: bool) -> dict:
    """Seconds to replicate 100 changed documents out of ``total`` from a checkpoint, ``runs`` times."""
    cached = big_database(total, fresh)
    source, target = DomusPeer(tmp / f"i1-{total}"), DomusPeer(tmp / f"i2-{total}")
    for peer in (source, target):  # two copies: replicas of one another, as a full copy makes them
        shutil.copytree(cached, peer.folder)
        peer.start()
    try:
        replicator = Replicator(Endpoint(domus_url(source, source.database)),
                                Endpoint(domus_url(target, target.database)))
        rep_id = replicator.replication_id()
        seq = source.session().get(f"{source.url}/replication/{source.database}").json()["update_seq"]
        checkpoint = {"session_id": "copy", "last_seq": seq,
                      "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        for peer in (source, target):
            peer.session().put(f"{peer.url}/replication/{peer.database}/_local/{rep_id}",
                               json={"history": [checkpoint], "last_seq": seq}).raise_for_status()
        session = source.session()
        listed = session.get(f"{source.url}/replication/{source.database}/_changes",
                             params={"limit": 100 * runs * 10}).json()["results"]
        changed = random.Random(3).sample(listed, 100 * runs)
        seconds = []
        for run in range(runs):
            for row in changed[run * 100:(run + 1) * 100]:
                current = session.get(f"{source.docs()}/{row['id']}").json()
                session.put(f"{source.docs()}/{row['id']}", json={**current, "Status": "исполнен"}
                            ).raise_for_status()
            wait_until_idle([source, target])
            started = time.perf_counter()
            report = replicator.run()
            seconds.append(time.perf_counter() - started)
            assert report.docs_written == 100, report
        return {"documents": total, "changed": 100, "seconds": statistics.median(seconds), "runs": seconds}
    finally:
        source.stop()
        target.stop()
        for peer in (source, target):
            shutil.rmtree(peer.folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--incremental", type=int, nargs="+", default=[1_000_000],
                        help="documents in the database of the incremental run; several sizes show "
                             "how the time grows (0 skips it)")
    parser.add_argument("--fresh", action="store_true", help="build the cached databases again")
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
        results["incremental"] = []
        for total in filter(None, args.incremental):
            figures = measure_incremental(Path(tmp), total, args.runs, args.fresh)
            results["incremental"].append(figures)
            passed = figures["seconds"] < 2.0
            ok &= passed
            print(f"incremental: 100 of {total:,} in {figures['seconds']:.2f} s  "
                  f"< 2 s {'PASS' if passed else 'FAIL'}", flush=True)
    save_results("replication", results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
