"""Core benchmark: Domus against pouchdb-server, side by side in one run.

Measures, as medians of ``--runs`` runs, for both servers over HTTP on loopback
with the same Python client and the same documents (~900 bytes, 10 items,
Russian text, fixed seed):

1. documents created per second, one client, one document per request;
2. the same with 8 concurrent clients;
3. documents per second in bulk requests of 500;
4. reads by id per second, one client;
5. with ``--big`` documents (default 1,000,000) loaded: the time from process
   start until the first document is served, then reads of 5,000 documents
   spread over the whole database and the server's RSS after them.

Prints a table with ours/theirs for each figure, PASS/FAIL against the
targets (≥ 1.0× on throughput, RSS < 1 GiB, open < 10 s) and writes the
figures to ``bench/results/core-DATE.json``.

    .venv/bin/python bench/core.py                 # everything (the big part takes a while)
    .venv/bin/python bench/core.py --skip-big --runs 1
    .venv/bin/python bench/core.py --skip-small --big 200000
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peers import DomusPeer, Peer, PouchPeer, save_results  # noqa: E402

TEXT = (
    "обращение граждан благоустройство двора дворовой территории ремонт кровли многоквартирного "
    "дома поручение исполнитель срок исполнения контроль управление жилищно коммунального "
    "хозяйства ответ заявителю рассмотреть доложить обеспечить подготовить информацию о ходе "
    "выполнения работ в установленный срок просим сообщить принятых мерах"
)
WORDS = TEXT.split()
CORRESPONDENTS = ("Министерство строительства РТ", "Прокуратура г. Казани", "МУП «Водоканал»",
                  "ТСЖ «Восход»", "Государственная жилищная инспекция РТ")
DEPARTMENTS = ("Управление ЖКХ", "Комитет внешнего благоустройства", "Управление образования")


def make_doc(rng: random.Random, n: int) -> dict:
    """A ~900-byte incoming letter with 10 items."""
    return {
        "Form": "Incoming",
        "Subject": " ".join(rng.choice(WORDS) for _ in range(8)),
        "Body": " ".join(rng.choice(WORDS) for _ in range(38)),
        "Correspondent": rng.choice(CORRESPONDENTS),
        "RegNumber": f"Вх-{n}/2026",
        "RegDate": f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "Dept": rng.choice(DEPARTMENTS),
        "Executor": "Иванова Анна Сергеевна",
        "Pages": rng.randrange(1, 20),
        "Status": rng.choice(["зарегистрирован", "на исполнении", "исполнен"]),
    }


def docs(seed: int, count: int, start: int = 0) -> list[dict]:
    rng = random.Random(seed)
    return [make_doc(rng, start + n) for n in range(count)]


# ---------------------------------------------------------------------------
# workloads: each returns operations per second
# ---------------------------------------------------------------------------


def single_creates(peer: Peer, batch: list[dict]) -> tuple[float, list[str]]:
    session = peer.session()
    started = time.perf_counter()
    ids = [peer.create_one(session, doc) for doc in batch]
    return len(batch) / (time.perf_counter() - started), ids


def concurrent_creates(peer: Peer, batch: list[dict], clients: int = 8) -> float:
    shares = [batch[i::clients] for i in range(clients)]
    errors: list[BaseException] = []

    def work(share: list[dict]) -> None:
        session = peer.session()
        try:
            for doc in share:
                peer.create_one(session, doc)
        except BaseException as error:  # reported after the threads join
            errors.append(error)

    threads = [threading.Thread(target=work, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return len(batch) / elapsed


def bulk_creates(peer: Peer, batch: list[dict], size: int = 500) -> float:
    session = peer.session()
    started = time.perf_counter()
    for i in range(0, len(batch), size):
        peer.create_bulk(session, batch[i:i + size])
    return len(batch) / (time.perf_counter() - started)


def reads(peer: Peer, ids: list[str], count: int, seed: int) -> float:
    session = peer.session()
    rng = random.Random(seed)
    chosen = [rng.choice(ids) for _ in range(count)]
    started = time.perf_counter()
    for doc_id in chosen:
        peer.read(session, doc_id)
    return count / (time.perf_counter() - started)


def load_big(peer: Peer, total: int, label: str) -> list[str]:
    """Fill the database with ``total`` documents in bulks of 500; return a sample of ids."""
    session = peer.session()
    sample: list[str] = []
    started = time.perf_counter()
    for offset in range(0, total, 500):
        ids = peer.create_bulk(session, docs(offset + 7, min(500, total - offset), offset))
        sample.extend(ids[::50])
        done = offset + len(ids)
        if done % 20000 < 500 or done == total:
            rate = done / (time.perf_counter() - started)
            print(f"\r  {label}: loading {done:,}/{total:,} ({rate:,.0f} docs/s)", end="", flush=True)
    print()
    return sample


# ---------------------------------------------------------------------------


def measure(peer: Peer, args, run: int) -> dict[str, float]:
    seed = 1000 * run
    single, ids = single_creates(peer, docs(seed + 1, args.single))
    return {
        "single_creates_per_s": single,
        "concurrent8_creates_per_s": concurrent_creates(peer, docs(seed + 2, args.concurrent)),
        "bulk500_docs_per_s": bulk_creates(peer, docs(seed + 3, args.bulk)),
        "reads_per_s": reads(peer, ids, args.reads, seed + 4),
    }


def measure_big(peer_class, folder: Path, total: int) -> dict[str, float]:
    """Open time, then RSS after reading 5,000 documents spread over the whole database."""
    peer = peer_class(folder)
    peer.start()
    try:
        peer.create_db()
        sample = load_big(peer, total, peer.name)
    finally:
        peer.stop()
    peer = peer_class(folder)
    open_seconds = peer.start(probe_id=sample[0])
    try:
        reads_per_s = reads(peer, sample, 5000, seed=9)
        return {"open_seconds": open_seconds, "rss_mib": peer.rss(), "documents": total,
                "random_reads_per_s": reads_per_s}
    finally:
        peer.stop()


THROUGHPUT = ("single_creates_per_s", "concurrent8_creates_per_s", "bulk500_docs_per_s", "reads_per_s")


def measure_small(tmp: Path, args) -> dict:
    """The throughput figures: medians of ``args.runs`` runs, the peers alternating."""
    per_run: dict[str, list[dict[str, float]]] = {"domus": [], "pouchdb-server": []}
    peers = [DomusPeer(tmp / "domus"), PouchPeer(tmp / "pouch")]
    for peer in peers:
        peer.folder.mkdir(parents=True)
    try:
        for peer in peers:
            peer.start()
            peer.create_db()
        for run in range(args.runs):
            for peer in peers:  # alternate so that machine noise hits both alike
                figures = measure(peer, args, run)
                per_run[peer.name].append(figures)
                print(f"run {run + 1}/{args.runs} {peer.name:<15} "
                      + "  ".join(f"{k}={v:,.0f}" for k, v in figures.items()), flush=True)
    finally:
        for peer in peers:
            peer.stop()
    results = {}
    for name, runs in per_run.items():
        results[name] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        results[name]["runs"] = runs
    return results


def ratio(ours: float, theirs: float) -> float:
    return ours / theirs if theirs else float("inf")


def report(results: dict, args) -> bool:
    ok = True
    print(f"\n{'figure':<28}{'Domus':>14}{'pouchdb-server':>16}{'ours/theirs':>13}  target")
    for key in THROUGHPUT if "domus" in results else ():
        ours, theirs = results["domus"][key], results["pouchdb-server"][key]
        passed = ours >= theirs
        ok &= passed
        print(f"{key:<28}{ours:>14,.0f}{theirs:>16,.0f}{ratio(ours, theirs):>12.2f}x  "
              f"≥ 1.0x {'PASS' if passed else 'FAIL'}")
    if "big" in results:
        ours, theirs = results["big"]["domus"], results["big"]["pouchdb-server"]
        for key, limit, unit in (("open_seconds", 10.0, "s"), ("rss_mib", 1024.0, "MiB")):
            passed = ours[key] < limit
            ok &= passed
            label = f"{key} @{ours['documents']:,}"
            verdict = "PASS" if passed else "FAIL"
            print(f"{label:<28}{ours[key]:>14,.1f}{theirs[key]:>16,.1f}"
                  f"{ratio(ours[key], theirs[key]):>12.2f}x  < {limit:g} {unit} {verdict}")
        key = "random_reads_per_s"
        label = f"{key} @{ours['documents']:,}"
        print(f"{label:<28}{ours[key]:>14,.0f}{theirs[key]:>16,.0f}{ratio(ours[key], theirs[key]):>12.2f}x")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--single", type=int, default=2000, help="documents per run, one per request")
    parser.add_argument("--concurrent", type=int, default=4000, help="documents per run, 8 clients")
    parser.add_argument("--bulk", type=int, default=20000, help="documents per run, bulks of 500")
    parser.add_argument("--reads", type=int, default=2000, help="reads by id per run")
    parser.add_argument("--big", type=int, default=1_000_000, help="documents for the RSS/open test")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-small", action="store_true", help="only the big-database part")
    args = parser.parse_args()

    results: dict = {"date": date.today().isoformat(), "args": vars(args)}
    with tempfile.TemporaryDirectory(prefix="domus-bench-") as tmp:
        if not args.skip_small:
            results.update(measure_small(Path(tmp), args))
        if not args.skip_big:
            results["big"] = {}
            for peer_class, sub in ((DomusPeer, "domus-big"), (PouchPeer, "pouch-big")):
                folder = Path(tmp) / sub
                folder.mkdir()
                results["big"][peer_class.name] = measure_big(peer_class, folder, args.big)
    ok = report(results, args)
    save_results("core", results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
