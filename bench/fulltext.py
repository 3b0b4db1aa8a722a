"""Full-text benchmark: Domus's Whoosh indexes against SQLite FTS5, side by side in one run.

Setup: a ``documents`` database (FileStorage on disk) holding ``--documents``
generated letters and memos (fixed seed): a subject of 8 words and a body of
60, drawn from a vocabulary of real inflected Russian words and 30,000
generated ones with Zipf frequencies, as a city's archive has a few very
common words and a long tail.  It is loaded once into
``bench/.cache/fulltext-N/`` and reused.

Figures (``--runs`` runs; medians of the run medians):

1. full rebuild: ``views.fulltext.commands.rebuild`` — read every document
   from ZODB, analyse (Russian/English stems), write one new generation on
   the machine's cores — in documents per second; target ≥ 1,000.  Also in
   documents per CPU-second (this process and its workers): on a shared
   machine the wall clock depends on the neighbours, the CPU time much less;
2. index size on disk;
3. p50 and p95 latency of one-word, two-word and phrase queries through
   ``views.fulltext.search.run`` as the API calls it (gate mask, total hits,
   a page of 20 with highlighted snippets and the documents' items);
   target p50 one-word ≤ 30 ms.

Reference: SQLite FTS5 (the stdlib ``sqlite3``), the embedded engine most
would reach for, with the same texts (taken from the same documents before
the clock starts; FTS5's ``unicode61`` tokenizer does no Russian stemming)
and the same queries, each answered with its total (``count(*)``) and a page
of 20 by rank with ``snippet()``.  Ratios are ours/theirs: for throughput
above 1.0x we are faster; for latency and size below 1.0x we are.  Figures go
to ``bench/results/fulltext-DATE.json`` (``fulltext-N-DATE.json`` for N other
than 100,000).

    .venv/bin/python bench/fulltext.py                      # 100,000 documents
    .venv/bin/python bench/fulltext.py --documents 10000 --runs 2
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))  # first: bench/core.py must not hide the package core

from _peers import CACHE, save_results  # noqa: E402
from tqdm import tqdm  # noqa: E402

from core.plugins import make_plugin_manager  # noqa: E402
from core.principal import Principal  # noqa: E402
from core.root import server_root  # noqa: E402
from core.storage import connection_scope, open_db  # noqa: E402
from core.templates import database_from_template, install_database, load_templates  # noqa: E402
from core.writes import Writer  # noqa: E402
from views.fulltext.commands import rebuild  # noqa: E402
from views.fulltext.index import IndexStore  # noqa: E402
from views.fulltext.query import make_parser, parse  # noqa: E402
from views.fulltext.schema import document_fields  # noqa: E402
from views.fulltext.search import Search, run  # noqa: E402

DATABASE = "documents"
COMMIT_EVERY = 2000
PAGE = 20
DEPARTMENTS = ("Управление ЖКХ", "Комитет благоустройства", "Управление образования")
REAL_WORDS = " ".join("""
обращение обращения обращений обращению граждан гражданина гражданам благоустройство благоустройства
благоустройству двор двора дворов дворе дворовой территории территория ремонт ремонта ремонту кровли
кровля кровлю дома домов многоквартирного подъезда подъезд отопление отопления горячей воды вода
вывоз мусора мусор контейнерной площадки детской площадка освещение освещения улицы улица дороги
дорога тротуара остановки транспорта автобуса маршрута трамвая поручение поручения исполнитель
исполнителя срок срока исполнения контроль контроля управление управления жилищно коммунального
хозяйства ответ ответа заявителю рассмотреть доложить обеспечить подготовить информацию ходе
выполнения работ установленный сообщить принятых мерах постановление распоряжение приказ проект
согласование согласования подписание письмо письма служебная записка документ документа комитет
администрации района города казани министерство прокуратура жалоба жалобы заявление заявления
""".splitlines()).split()
SYLLABLES = ("ка", "ро", "ми", "ла", "то", "ре", "сти", "на", "во", "пра", "ли", "зе", "бу", "де", "ны",
             "ко", "ва", "ть", "ше", "ру", "гра", "ст", "по", "ме", "ни", "ск", "ло")
ENDINGS = ("", "а", "ы", "у", "ом", "е", "ой", "ами", "ах", "ов", "ий", "ая", "ое", "ого", "ому")


def vocabulary(rng: random.Random, size: int = 30_000) -> list[str]:
    """Real words first (the most frequent), then generated stems with Russian endings."""
    words = list(dict.fromkeys(REAL_WORDS))
    seen = set(words)
    while len(words) < len(REAL_WORDS) + size:
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        word = stem + rng.choice(ENDINGS)
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Corpus:
    """The generated documents of a seed: the same for the load and for the queries."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.words = vocabulary(random.Random(seed))
        weights = [1 / (rank + 1) ** 1.05 for rank in range(len(self.words))]
        self.cumulative = list(itertools.accumulate(weights))

    def text(self, rng: random.Random, count: int) -> str:
        return " ".join(rng.choices(self.words, cum_weights=self.cumulative, k=count))

    def documents(self):
        rng = random.Random(self.seed + 1)
        for n in itertools.count():
            yield {"Form": rng.choice(("Incoming", "Memo", "Outgoing")), "RegNumber": f"Вх-{n}/2026",
                   "Subject": self.text(rng, 8), "Body": self.text(rng, 60),
                   "Dept": rng.choice(DEPARTMENTS)}

    def queries(self, rng: random.Random, count: int) -> dict[str, list[str]]:
        """One-word, two-word and phrase queries of words that occur, but not in every document."""
        middle = self.words[60:3000]
        phrases = []
        for items in itertools.islice(self.documents(), 0, count * 7, 7):
            body = items["Body"].split()
            start = rng.randrange(len(body) - 1)
            phrases.append(f'"{body[start]} {body[start + 1]}"')
        return {"one-word": [rng.choice(middle) for _ in range(count)],
                "two-word": [f"{rng.choice(middle)} {rng.choice(self.words[:600])}" for _ in range(count)],
                "phrase": phrases}


def load(corpus: Corpus, count: int) -> Path:
    """The cached FileStorage with ``count`` documents (the view engine off: only documents matter)."""
    folder = CACHE / f"fulltext-{count}"
    marker = folder / "loaded.json"
    if marker.exists() and json.loads(marker.read_text()).get("seed") == corpus.seed:
        print(f"using the database of {count:,} documents in {folder}")
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pm = make_plugin_manager(load_entry_points=False)
    for name in ("views.plugin", "views.fulltext.plugin"):
        pm.unregister(name=name)
    db = open_db(storage_uri(folder))
    with connection_scope(db) as (tm, connection):
        tm.begin()
        root = server_root(connection)
        database = install_database(root, pm, database_from_template(load_templates(pm), DATABASE))
        tm.commit()
        writer = Writer(pm, "bench", tm)
        stream = corpus.documents()
        with tqdm(total=count, desc=f"loading {count:,}", unit="doc", unit_scale=True) as bar:
            for offset in range(0, count, COMMIT_EVERY):
                size = min(COMMIT_EVERY, count - offset)
                tm.begin()
                for items in itertools.islice(stream, size):
                    writer.create(database, items)
                tm.commit()
                connection.cacheMinimize()
                bar.update(size)
    db.close()
    marker.write_text(json.dumps({"seed": corpus.seed, "documents": count}))
    return folder


def storage_uri(folder: Path) -> str:
    return f"file://{folder}/Data.fs?blobstorage_dir={folder}/blobs&connection_cache_size=20000"


def folder_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- Domus ------------------------------------------------------------------------


def cpu_seconds() -> float:
    """CPU time of this process and of its finished workers (a rebuild's worker processes)."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def domus_rebuild(db, scratch: Path) -> tuple[float, float, int, IndexStore]:
    """Documents per second and per CPU-second, the index's size, and the store."""
    store = IndexStore(scratch / "fulltext")
    started, cpu = time.perf_counter(), cpu_seconds()
    count = rebuild(db, store, DATABASE)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return count / seconds, count / cpu, folder_bytes(store.current(DATABASE).path), store


def domus_queries(db, store: IndexStore, texts: list[str]) -> list[float]:
    reader = Principal("bench", "basic", names=frozenset({"bench"}))
    generation = store.current(DATABASE)
    searcher = store.searcher(generation)
    parser = make_parser()
    times = []
    with connection_scope(db) as (tm, connection):
        tm.begin()
        database = server_root(connection).get_database(DATABASE)
        for text in texts:
            started = time.perf_counter()
            answer = run(searcher, Search(parse(parser, text), count=PAGE), reader, database)
            times.append(time.perf_counter() - started)
            assert answer["total"] >= 0
        tm.abort()
    return times


# -- SQLite FTS5 --------------------------------------------------------------------


def fts_texts(db) -> list[tuple[str, str]]:
    """The same text per document as our index gets (every item), read before the clock starts."""
    with connection_scope(db) as (tm, connection):
        tm.begin()
        database = server_root(connection).get_database(DATABASE)
        rows = [(unid, document_fields(document, [])["text"])
                for unid, document in database.documents.items()]
        tm.abort()
    return rows


def fts_rebuild(rows: list[tuple[str, str]], scratch: Path
                ) -> tuple[float, float, int, sqlite3.Connection]:
    path = scratch / "fts.sqlite"
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    started, cpu = time.perf_counter(), cpu_seconds()
    connection.execute("CREATE VIRTUAL TABLE docs USING fts5(unid UNINDEXED, text, tokenize='unicode61')")
    connection.executemany("INSERT INTO docs (unid, text) VALUES (?, ?)", rows)
    connection.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    connection.commit()
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return len(rows) / seconds, len(rows) / cpu, path.stat().st_size, connection


def fts_queries(connection: sqlite3.Connection, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        total = connection.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (text,)).fetchone()[0]
        page = connection.execute(
            "SELECT unid, snippet(docs, 1, '<mark>', '</mark>', ' … ', 12) FROM docs WHERE docs MATCH ? "
            "ORDER BY rank LIMIT ?", (text, PAGE)).fetchall()
        times.append(time.perf_counter() - started)
        assert total >= len(page)
    return times


# -- the run ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild-runs", type=int, default=1)
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind per run")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    corpus = Corpus(args.seed)
    folder = load(corpus, args.documents)
    db = open_db(storage_uri(folder))
    results: dict = {"date": date.today().isoformat(), "documents": args.documents, "seed": args.seed,
                     "runs": args.runs, "queries_per_kind": args.queries}
    with tempfile.TemporaryDirectory(prefix="domus-fulltext-") as scratch_name:
        scratch = Path(scratch_name)
        ours_rates, ours_cpu_rates, store, size = [], [], None, 0
        for number in range(args.rebuild_runs):
            shutil.rmtree(scratch / "fulltext", ignore_errors=True)
            print(f"Domus rebuild {number + 1}/{args.rebuild_runs} …", flush=True)
            rate, cpu_rate, size, store = domus_rebuild(db, scratch)
            ours_rates.append(rate)
            ours_cpu_rates.append(cpu_rate)
        rows = fts_texts(db)
        fts_rates, fts_cpu_rates, fts_size, fts = [], [], 0, None
        for _ in range(args.rebuild_runs):
            rate, cpu_rate, fts_size, fts = fts_rebuild(rows, scratch)
            fts_rates.append(rate)
            fts_cpu_rates.append(cpu_rate)
        results["rebuild_docs_per_s"] = {"ours": statistics.median(ours_rates),
                                         "fts5": statistics.median(fts_rates)}
        results["rebuild_docs_per_cpu_s"] = {"ours": statistics.median(ours_cpu_rates),
                                             "fts5": statistics.median(fts_cpu_rates)}
        results["index_bytes"] = {"ours": size, "fts5": fts_size}
        rng = random.Random(args.seed + 2)
        latency: dict[str, dict[str, list[float]]] = {}
        for _ in range(args.runs):
            for kind, texts in corpus.queries(rng, args.queries).items():
                for name, times in (("ours", domus_queries(db, store, texts)),
                                    ("fts5", fts_queries(fts, texts))):
                    runs = latency.setdefault(kind, {}).setdefault(name, [])
                    runs.append((statistics.median(times), percentile(times, 0.95)))
        results["latency_ms"] = {
            kind: {name: {"p50": 1000 * statistics.median(p50 for p50, _ in runs),
                          "p95": 1000 * statistics.median(p95 for _, p95 in runs)}
                   for name, runs in by_peer.items()}
            for kind, by_peer in latency.items()}
        fts.close()
    db.close()
    ok = report(results)
    results["pass"] = ok
    area = "fulltext" if args.documents == 100_000 else f"fulltext-{args.documents}"
    save_results(area, results)
    return 0 if ok else 1


def report(results: dict) -> bool:
    rebuild_rate, size = results["rebuild_docs_per_s"], results["index_bytes"]
    print(f"\n{results['documents']:,} documents, seed {results['seed']}, "
          f"{results['queries_per_kind']} queries of each kind × {results['runs']} runs\n")
    print(f"{'figure':<28} {'Domus':>12} {'FTS5':>12} {'ours/FTS5':>10}  target")
    print(f"{'rebuild, docs/s':<28} {rebuild_rate['ours']:>12,.0f} {rebuild_rate['fts5']:>12,.0f} "
          f"{rebuild_rate['ours'] / rebuild_rate['fts5']:>9.2f}x  ≥ 1,000: "
          f"{'PASS' if rebuild_rate['ours'] >= 1000 else 'FAIL'}")
    cpu_rate = results["rebuild_docs_per_cpu_s"]
    print(f"{'rebuild, docs/CPU-s':<28} {cpu_rate['ours']:>12,.0f} {cpu_rate['fts5']:>12,.0f} "
          f"{cpu_rate['ours'] / cpu_rate['fts5']:>9.2f}x")
    print(f"{'index size, MiB':<28} {size['ours'] / 2**20:>12,.1f} {size['fts5'] / 2**20:>12,.1f} "
          f"{size['ours'] / size['fts5']:>9.2f}x")
    ok = rebuild_rate["ours"] >= 1000
    for kind, by_peer in results["latency_ms"].items():
        for figure in ("p50", "p95"):
            ours, theirs = by_peer["ours"][figure], by_peer["fts5"][figure]
            target = ""
            if kind == "one-word" and figure == "p50":
                target = f"≤ 30 ms: {'PASS' if ours <= 30 else 'FAIL'}"
                ok &= ours <= 30
            print(f"{kind + ' query ' + figure + ', ms':<28} {ours:>12.2f} {theirs:>12.2f} "
                  f"{ours / theirs:>9.2f}x  {target}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
