"""Views benchmark: what reading and maintaining Domus's view indexes costs, in-process, at scale.

People work through views ("Incoming by date", "Memos by department"), so a
page of a view must come back in milliseconds at any key or offset of a
million-document database, and keeping every view in step with every save
(``views.plugin.after_save`` -> ``views.catalog.update_document``, in the
save's own transaction) must not make saves noticeably slower.  This script
measures exactly that, server-side, without HTTP: the view engine against a
ZODB FileStorage on disk, through the same calls the API makes.

Setup: a ``documents`` database (template ``databases/documents.toml``, six
views) filled with ``--documents`` generated letters (fixed seed): 40%
Incoming, 25% Outgoing, 25% Memo, 10% DraftLetter, ~900 bytes each, Russian
text, RegDate over six years, Memos spread over 20 departments of which one
("Архивный отдел") gets ~1,000 memos per million documents.  They are written
with ``core.writes.Writer`` (so every save updates every view), committing
every 1,000, each commit followed by the worker's round of the summary log
(``views.summaries``), then the FileStorage is packed.  It is kept in ``bench/.cache/views-N/`` and
reused by later runs with the same N, seed and view-engine code (``ENGINE_FILES``;
``--fresh`` reloads it); an interrupted load resumes.  The ZODB connection cache
is the server's (20,000 objects).  The measurements that write go to a copy of
it (figure 4, saves) or to a temporary DemoStorage whose changes are a
FileStorage of their own (figure 5, rebuilds), so the cached database never
changes.

Figures, each the median of ``--runs`` run medians (and the p95 of every
repetition where it helps):

1. a 50-row page of IncomingByDate at a random key (``Query(startkey=parse_key("2023-05-01"))``,
   read as the API reads a URL key); target ≤ 10 ms;
2. a 50-row page of IncomingByDate at a random offset (``Query(start=…)``); target ≤ 10 ms;
3. expanding the MemosByDept category closest to 1,000 documents (``Query(category=…, count=1000)``),
   and, for information, the collapsed MemosByDept (one row per department with its Pages total);
4. the extra time of one save (``writer.create`` + ``tm.commit()``, documents of the same mix) when
   10 views are maintained (the 6 of the template and 4 copies with other sorts, built for the
   run), against the same database with its views switched off, the two modes taking turns every
   20 saves; target ≤ 2 ms.  The same for an edit of a loaded document (a new Subject, which every
   view shows and three sort by, and a new Body).  The bytes each save appends are shown too.
   A save writes its views' journal entry (``views.journal``); the rows move when the worker
   applies the entries, here after each 20 creates and 20 edits, in a transaction of its own
   whose time per save is shown beside (the worker's share, off the save's path);
5. the full rebuild of MemosByDept (``views.catalog.rebuild``, one transaction, from an empty ZODB
   cache) and the commit of the new index; target ≤ 60 s at 1,000,000 documents (``--rebuild-runs``,
   by default ``--runs`` up to 200,000 documents and 1 above).

Plus the load rate, the FileStorage size, and the process's RSS (now and peak).

Reference in the same run: PouchDB (npm ``pouchdb-node``, LevelDB on disk, installed into
``bench/.cache``) with the first ``--pouch-documents`` of the same documents and map functions
equivalent to MemosByDept and IncomingByDate (``bench/_pouch_views.js``): the first query of
each view (which builds its index) against our rebuild of the same view over the same
documents, and the same page and category queries against ours on a Domus database of the
same size (the same random keys and offsets; PouchDB gets only the first 100 offsets of each run,
as skip costs it time in proportion to the offset).  Ratios are ours/theirs in time: below
1.0x Domus is faster.  The figures go to ``bench/results/views-DATE.json`` (``views-N-DATE.json``
for another N).

    .venv/bin/python bench/views.py                                   # 1,000,000 docs (load: long)
    .venv/bin/python bench/views.py --documents 50000 --pouch-documents 20000 --runs 3
    .venv/bin/python bench/views.py --documents 50000 --pouch-documents 0   # no PouchDB
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import itertools
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# ``python bench/views.py`` puts bench/ first on sys.path, where this file would hide the ``views``
# package and bench/core.py the ``core`` package: the project goes first, bench/ last.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
sys.path.append(str(HERE))

import ZODB  # noqa: E402
from _peers import CACHE, bench_module, npm_install, rss_mib, save_results  # noqa: E402
from BTrees.OOBTree import OOBTree  # noqa: E402
from tqdm import tqdm  # noqa: E402
from ZODB.DemoStorage import DemoStorage  # noqa: E402
from ZODB.FileStorage import FileStorage  # noqa: E402

from core.plugins import make_plugin_manager  # noqa: E402
from core.root import server_root  # noqa: E402
from core.storage import connection_scope, open_db  # noqa: E402
from core.templates import database_from_template, install_database, load_templates  # noqa: E402
from core.writes import Writer  # noqa: E402
from views import catalog, journal  # noqa: E402
from views.definition import parse_view  # noqa: E402
from views.reading import Query, ViewReader, parse_key  # noqa: E402

_core_bench = bench_module("core")
WORDS: list[str] = _core_bench.WORDS
CORRESPONDENTS: tuple[str, ...] = _core_bench.CORRESPONDENTS
ratio: Callable[[float, float], float] = _core_bench.ratio

SEED = 2026
TEMPLATE = "documents"
COMMIT_EVERY = 1000
CACHE_OBJECTS = 20000  # the server's connection_cache_size (core.settings)
PAGE = 50
CATEGORY_TARGET = 1000
FIRST_DAY, DAYS = date(2021, 1, 1), 6 * 365
BIG_DEPT, BIG_DEPT_SHARE = "Архивный отдел", 0.004  # ~1,000 of the 250,000 memos in a million documents
DEPARTMENTS = (
    "Аппарат Исполкома", "Управление ЖКХ", "Комитет внешнего благоустройства", "Управление образования",
    "Финансовое управление", "Управление архитектуры", "Правовое управление", "Управление культуры",
    "Управление здравоохранения", "Управление транспорта", "Комитет по земельным отношениям",
    "Управление социальной защиты", "Отдел кадров", "Бухгалтерия", "Управление по делам молодёжи",
    "Комитет по физической культуре", "Отдел информатизации", "Управление экономики",
    "Отдел по работе с обращениями граждан",
)
ADDRESSEES = CORRESPONDENTS + ("Кабинет Министров РТ", "Казанская городская Дума", "ПАО «Таттелеком»")
PEOPLE = ("Иванова А. С.", "Петров И. В.", "Сидорова Е. Н.", "Гарипов Р. Ф.", "Хасанова Л. М.",
          "Николаев Д. А.")
STATUSES = ("черновик", "на согласовании", "согласован", "на подписании", "подписан")
# 4 more views for figure 4: copies of the template's with other sorts (10 views in all).
EXTRA_VIEWS = {
    "IncomingBySubject": ("IncomingByDate", {"RegDate": "none", "Subject": "ascending"}),
    "OutgoingByAddressee": ("OutgoingByDate", {"Addressee": "ascending", "RegDate": "descending"}),
    "MemosBySubject": ("MemosByDept", {"Dept": "none", "Subject": "descending"}),
    "AllBySubject": ("AllByForm", {"Form": "none", "Modified": "none", "Subject": "ascending"}),
}
REBUILT = ("MemosByDept", "IncomingByDate")  # figure 5, and the two views PouchDB builds
# The files whose changes make a cached database stale (stored classes, keys, the template).
ENGINE_FILES = ("views/index.py", "views/ordered.py", "views/collation.py", "views/catalog.py",
                "views/summaries.py", "views/resort.py", "views/journal.py", "core/document.py",
                "core/database.py", "databases/documents.toml")
SAVE_SLICE = 20  # saves in a row of one mode in figure 4
TARGETS = {"page_at_key": 10.0, "page_at_offset": 10.0, "save_extra": 2.0, "rebuild": 60.0}


# ---------------------------------------------------------------------------
# documents
# ---------------------------------------------------------------------------


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def make_items(rng: random.Random, n: int) -> dict[str, object]:
    """Document ``n`` of the stream: a letter, a memo or a draft with the items the views read."""
    kind = rng.random()
    day = (FIRST_DAY + timedelta(days=rng.randrange(DAYS))).isoformat()
    subject, body, pages = _words(rng, rng.randrange(5, 11)), _words(rng, 40), rng.randrange(1, 30)
    if kind < 0.40:
        return {"Form": "Incoming", "RegNumber": f"Вх-{n}", "RegDate": day,
                "Correspondent": rng.choice(CORRESPONDENTS), "Subject": subject, "Body": body,
                "Pages": pages, "DeliveryMethod": rng.choice(["почта", "курьер", "СЭД"])}
    if kind < 0.65:
        return {"Form": "Outgoing", "RegNumber": f"Исх-{n}", "RegDate": day,
                "Addressee": rng.choice(ADDRESSEES), "Subject": subject, "Body": body,
                "Signatory": rng.choice(PEOPLE), "Pages": pages}
    if kind < 0.90:
        dept = BIG_DEPT if rng.random() < BIG_DEPT_SHARE else rng.choice(DEPARTMENTS)
        return {"Form": "Memo", "From": rng.choice(PEOPLE), "To": rng.sample(PEOPLE, 2), "Dept": dept,
                "Subject": subject, "Body": body, "Pages": pages}
    return {"Form": "DraftLetter", "Subject": subject, "Body": body, "DraftAuthor": rng.choice(PEOPLE),
            "Status": rng.choice(STATUSES)}


def documents(seed: int, start: int = 0) -> Iterator[dict[str, object]]:
    """The endless stream of documents for ``seed``: any N documents are a prefix of it."""
    rng = random.Random(seed)
    return (make_items(rng, n) for n in itertools.count(start))


# ---------------------------------------------------------------------------
# databases
# ---------------------------------------------------------------------------


def storage_uri(folder: Path) -> str:
    return (f"file://{folder}/Data.fs?blobstorage_dir={folder}/blobs"
            f"&connection_cache_size={CACHE_OBJECTS}")


def engine_fingerprint() -> str:
    """A digest of the code that decides what a loaded database holds: a cache from other code is stale."""
    digest = hashlib.sha256()
    for name in ENGINE_FILES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:16]


def load(count: int, seed: int, fresh: bool) -> dict:
    """The cached database of ``count`` documents, loaded now if it is not there yet; its figures.

    An interrupted load resumes where its last commit left it (``loading.json`` keeps the
    seconds spent so far, so the load rate stays the rate of the whole load).
    """
    folder = CACHE / f"views-{count}"
    marker, progress = folder / "loaded.json", folder / "loading.json"
    engine = engine_fingerprint()
    if marker.exists() and not fresh:
        setup = json.loads(marker.read_text())
        if setup.get("seed") == seed and setup.get("engine") == engine:
            print(f"using the database of {count:,} documents in {folder} "
                  f"(loaded at {setup['load_docs_per_s']:,.0f} docs/s; --fresh reloads it)")
            return setup
        why = "another seed" if setup.get("seed") != seed else "another version of the view engine"
        print(f"the database in {folder} was loaded with {why}: reloading")
    so_far = json.loads(progress.read_text()) if progress.exists() else {}
    resume = (not (fresh or marker.exists()) and (folder / "Data.fs").exists()
              and so_far.get("seed") == seed and so_far.get("engine") == engine)
    if not resume:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        so_far = {}
    pm = make_plugin_manager(load_entry_points=False)
    db = open_db(storage_uri(folder))
    with connection_scope(db) as (tm, connection):
        tm.begin()
        root = server_root(connection)
        database = root.databases.get(TEMPLATE) or install_database(
            root, pm, database_from_template(load_templates(pm), TEMPLATE))
        done = database.document_count()
        tm.commit()
        spent = so_far.get("seconds", 0.0) if so_far.get("documents") == done else 0.0
        if done:
            print(f"resuming the load of {folder} at {done:,} documents", flush=True)
        writer = Writer(pm, "bench", tm)
        started = time.perf_counter()
        with tqdm(total=count, initial=done, desc=f"loading {count:,}", unit="doc", unit_scale=True) as bar:
            stream = itertools.islice(documents(seed), done, None)
            for offset in range(done, count, COMMIT_EVERY):
                size = min(COMMIT_EVERY, count - offset)
                tm.begin()
                for items in itertools.islice(stream, size):
                    writer.create(database, items)
                tm.commit()
                tm.begin()  # what the server's worker does in its next round
                journal.apply(catalog.catalog_of(database))
                catalog.catalog_of(database).summaries.follow(database, chunks=COMMIT_EVERY)
                tm.commit()
                bar.update(size)
                progress.write_text(json.dumps({"seed": seed, "engine": engine, "documents": offset + size,
                                                "seconds": spent + time.perf_counter() - started}))
        elapsed = time.perf_counter() - started
    loaded_bytes = (folder / "Data.fs").stat().st_size
    print("packing Data.fs (as a server's maintenance does)", flush=True)
    db.pack()
    db.close()
    # A load resumed without the seconds of its first part is timed on the part done now.
    timed = count if spent or not done else count - done
    seconds = spent + elapsed
    setup = {"documents": count, "seed": seed, "engine": engine, "load_seconds": seconds,
             "load_docs_per_s": timed / seconds,
             "data_fs_bytes": (folder / "Data.fs").stat().st_size, "data_fs_bytes_before_pack": loaded_bytes,
             "loaded": date.today().isoformat()}
    if done and not spent:
        setup["timed_from"] = done
    print(f"loaded {count:,} documents in {seconds:,.0f} s: {setup['load_docs_per_s']:,.0f} docs/s "
          f"with the template's 6 views; Data.fs {setup['data_fs_bytes'] / 2**20:,.0f} MiB")
    marker.write_text(json.dumps(setup, indent=2))
    progress.unlink(missing_ok=True)
    return setup


def plain_copy(count: int, scratch: Path) -> ZODB.DB:
    """A copy of the cached database in ``scratch``, opened as a server opens its FileStorage.

    The saves of figure 4 are measured here rather than under the DemoStorage: a DemoStorage
    reads every object's previous record again to store it, which a FileStorage does not.
    """
    folder = CACHE / f"views-{count}"
    scratch.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / "Data.fs", scratch / "Data.fs")
    shutil.copytree(folder / "blobs", scratch / "blobs", dirs_exist_ok=True)
    return ZODB.DB(FileStorage(str(scratch / "Data.fs"), blob_dir=str(scratch / "blobs")),
                   cache_size=CACHE_OBJECTS)


def overlay(count: int, scratch: Path) -> ZODB.DB:
    """The cached database read-only under a DemoStorage whose changes go to a FileStorage in ``scratch``."""
    folder = CACHE / f"views-{count}"
    scratch.mkdir(parents=True, exist_ok=True)
    base = FileStorage(str(folder / "Data.fs"), read_only=True, blob_dir=str(folder / "blobs"))
    changes = FileStorage(str(scratch / "Data.fs"), blob_dir=str(scratch / "blobs"))
    return ZODB.DB(DemoStorage(base=base, changes=changes), cache_size=CACHE_OBJECTS)


# ---------------------------------------------------------------------------
# measuring
# ---------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * 95 // 100) - 1))]


def summary(per_run: list[list[float]]) -> dict[str, object]:
    """Median of the run medians, p95 of every repetition, and the run medians."""
    medians = [statistics.median(run) for run in per_run]
    return {"median_ms": statistics.median(medians), "p95_ms": p95([t for run in per_run for t in run]),
            "runs_ms": medians}


def timed_reads(database, view: str, queries: list[Query], rows: int | None = None) -> list[float]:
    """Milliseconds of each ``ViewReader(...).read(query)``; the pages are checked after the clock."""
    index = catalog.catalog_of(database).indexes[view]
    definition = catalog.definition(database, view)
    times, pages = [], []
    for query in queries:
        started = time.perf_counter()
        page = ViewReader(definition, index, lambda readers: True).read(query)
        times.append((time.perf_counter() - started) * 1000)
        pages.append(page)
    sizes = [len(page["rows"]) for page in pages]
    if rows is not None and any(n != rows for n in sizes):
        raise SystemExit(f"{view}: a page held {min(sizes)}..{max(sizes)} rows, expected {rows}")
    for query, page in zip(queries, pages, strict=True):
        # IncomingByDate is newest first: a page from a key starts at that date or before it.
        if query.startkey is not None and page["rows"] and page["rows"][0]["RegDate"] > str(query.startkey):
            raise SystemExit(f"{view}: the page from {query.startkey} starts at {page['rows'][0]['RegDate']}")
    return times


def random_keys(rng: random.Random, count: int) -> list[str]:
    """RegDate keys as a URL carries them (``parse_key`` reads them as dates, as the API does)."""
    return [(FIRST_DAY + timedelta(days=rng.randrange(DAYS))).isoformat() for _ in range(count)]


def category_sizes(database) -> dict[str, int]:
    """MemosByDept: documents per department, from the collapsed view itself."""
    index = catalog.catalog_of(database).indexes["MemosByDept"]
    answer = ViewReader(catalog.definition(database, "MemosByDept"), index, lambda readers: True).read(
        Query(count=1000))
    return {row["@category"]: row["@count"] for row in answer["rows"]}


def measure_reads(count: int, args: argparse.Namespace, plan: dict) -> dict:
    """Figures 1-3 on the cached database of ``count`` documents; ``plan`` holds the random keys."""
    db = open_db(storage_uri(CACHE / f"views-{count}"))
    try:
        with connection_scope(db) as (tm, connection):
            tm.begin()
            database = server_root(connection).get_database(TEMPLATE)
            incoming = len(catalog.catalog_of(database).indexes["IncomingByDate"].entries)
            sizes = category_sizes(database)
            dept = min(sizes, key=lambda name: abs(sizes[name] - CATEGORY_TARGET))
            rng = random.Random(args.seed + count)
            offsets = [[rng.randrange(incoming - PAGE) for _ in range(args.reads)] for _ in range(args.runs)]
            keys = plan.get("keys") or [random_keys(rng, args.reads) for _ in range(args.runs)]
            plan.update(keys=keys, offsets=offsets, incoming=incoming, category=dept,
                        category_size=sizes[dept])
            started = time.perf_counter()  # warm-up: one pass of the first run's pages, untimed
            at_key = [[Query(startkey=parse_key(k), count=PAGE) for k in run] for run in keys]
            timed_reads(database, "IncomingByDate", at_key[0])
            timed_reads(database, "IncomingByDate", [Query(start=n, count=PAGE) for n in offsets[0]])
            warm_up = time.perf_counter() - started
            by_key, by_offset, by_category, collapsed = [], [], [], []
            for run in range(args.runs):
                by_key.append(timed_reads(database, "IncomingByDate", at_key[run]))
                by_offset.append(timed_reads(database, "IncomingByDate",
                                             [Query(start=n, count=PAGE) for n in offsets[run]], PAGE))
                by_category.append(timed_reads(database, "MemosByDept",
                                               [Query(category=dept, count=1000)] * args.category_reads,
                                               min(sizes[dept], 1000)))
                collapsed.append(timed_reads(database, "MemosByDept", [Query(count=PAGE)] * 3))
                print(f"  reads @{count:,} run {run + 1}/{args.runs}: page at key "
                      f"{statistics.median(by_key[-1]):.2f} ms, "
                      f"at offset {statistics.median(by_offset[-1]):.2f} ms, "
                      f"category {statistics.median(by_category[-1]):.1f} ms, "
                      f"collapsed {statistics.median(collapsed[-1]):.0f} ms", flush=True)
            figures = {"page_at_key": summary(by_key), "page_at_offset": summary(by_offset),
                       "category": summary(by_category), "collapsed": summary(collapsed),
                       "category_name": dept, "category_rows": min(sizes[dept], 1000),
                       "categories": len(sizes), "memos": sum(sizes.values()), "incoming_rows": incoming,
                       "warm_up_seconds": warm_up, "rss_mib_after_reads": rss_mib(os.getpid())}
            tm.abort()
    finally:
        db.close()
    return figures


def measure_rebuilds(count: int, names: tuple[str, ...], runs: int, scratch: Path,
                     commit: bool) -> dict[str, dict[str, float]]:
    """Figure 5: ``catalog.rebuild`` of each view timed, then its commit (or an abort), ``runs`` times.

    Each run starts with an empty ZODB cache (the operating system's file cache stays warm, as
    it does for PouchDB), so it is what rebuilding a view really costs.
    """
    db = overlay(count, scratch)
    figures: dict[str, dict[str, float]] = {}
    try:
        with connection_scope(db) as (tm, connection):
            for name in names:
                builds, commits = [], []
                for run in range(runs):
                    tm.begin()
                    connection.cacheMinimize()  # every run reads the documents from the storage
                    database = server_root(connection).get_database(TEMPLATE)
                    started = time.perf_counter()
                    catalog.rebuild(database, name)
                    builds.append(time.perf_counter() - started)
                    rows = len(catalog.catalog_of(database).indexes[name].entries)
                    started = time.perf_counter()
                    if commit:
                        tm.commit()
                        commits.append(time.perf_counter() - started)
                    else:
                        tm.abort()
                    committed = f", commit {commits[-1]:.2f} s" if commit else ""
                    print(f"  rebuild {name} @{count:,} run {run + 1}/{runs}: {builds[-1]:.2f} s "
                          f"({rows:,} rows){committed}", flush=True)
                figures[name] = {"seconds": statistics.median(builds), "runs_s": builds, "rows": rows}
                if commit:
                    figures[name]["commit_seconds"] = statistics.median(commits)
    finally:
        db.close()
    return figures


def rebuild_runs(args: argparse.Namespace, count: int) -> int:
    if args.rebuild_runs is not None:
        return args.rebuild_runs
    return args.runs if count <= 200_000 else 1


def extra_views(design: dict) -> dict[str, dict]:
    views = {}
    for name, (source, sorts) in EXTRA_VIEWS.items():
        raw = copy.deepcopy(design["views"][source])
        for column in raw["columns"]:
            if column["name"] in sorts:
                column["sort"] = sorts[column["name"]]
                column["categorized"] = column.get("categorized", False) and sorts[column["name"]] != "none"
        parse_view(name, raw, design)  # refuse a broken copy before building it
        views[name] = raw
    return views


def build_extra_views(connection, tm) -> tuple[float, int]:
    """Add the 4 extra views to the design and build them side by side, as the server's worker and
    ``domus views rebuild`` do: a transaction per batch of documents."""
    tm.begin()
    database = server_root(connection).get_database(TEMPLATE)
    design = database.design
    added = extra_views(design)
    database.design = {**design, "views": {**design["views"], **added}}
    started = time.perf_counter()
    for name in added:
        catalog.schedule_build(database, name)
    tm.commit()
    pending = list(added)
    with tqdm(total=database.document_count(), desc="building 4 more views", unit="doc",
              unit_scale=True) as bar:
        while pending:
            tm.begin()
            pending = [name for name in pending if not catalog.build_step(database, name)]
            tm.commit()
            bar.update(min(catalog.BUILD_BATCH, bar.total - bar.n))
    tm.begin()
    count = len(server_root(connection).get_database(TEMPLATE).design["views"])
    tm.abort()
    if count != len(design["views"]) + len(added):
        raise SystemExit(f"the design holds {count} views after adding {len(added)}: the build was lost")
    return time.perf_counter() - started, count


def _edit_pools(database, rng: random.Random, size: int) -> dict[str, list[str]]:
    """Two disjoint samples of loaded documents, one per mode: a document edited while the views
    were switched off would carry rows the views never got, so each mode edits only its own."""
    unids = list(database.documents.keys())
    sample = rng.sample(unids, min(2 * size, len(unids)))
    return {"views": sample[::2], "none": sample[1::2]}


def _timed_save(tm, save: Callable[[], None]) -> float:
    started = time.perf_counter()
    tm.begin()
    save()
    tm.commit()
    return (time.perf_counter() - started) * 1000


def measure_saves(count: int, args: argparse.Namespace, scratch: Path) -> dict:
    """Figure 4: single saves (creates, then edits) with 10 views maintained and with the views
    switched off, the modes taking turns."""
    db = plain_copy(count, scratch)
    changes = scratch / "Data.fs"
    pm = make_plugin_manager(load_entry_points=False)
    rng = random.Random(args.seed + 2)
    try:
        with connection_scope(db) as (tm, connection):
            build_seconds, view_count = build_extra_views(connection, tm)
            print(f"  built 4 more views over {count:,} documents in {build_seconds:.1f} s "
                  f"({view_count} views now)", flush=True)
            database = server_root(connection).get_database(TEMPLATE)
            views_catalog = catalog.catalog_of(database)
            with_views = (database.design, views_catalog.indexes)
            without_views = ({**database.design, "views": {}}, OOBTree())
            writer = Writer(pm, "bench", tm)
            stream = documents(args.seed + 1)
            pools = _edit_pools(database, rng, args.runs * args.saves)

            def edit(unid: str) -> None:
                """What a clerk's correction does: a new subject and text (every view shows the
                subject; three sort by it)."""
                document = database.documents[unid]
                items = {**document.current().items, "Subject": _words(rng, 7).capitalize(),
                         "Body": _words(rng, 60)}
                writer.update(database, document, items, document.winner)

            kinds = ("create", "edit")
            per_mode = {(kind, mode): [] for kind in kinds for mode in ("views", "none")}
            written: dict[tuple, list[float]] = {key: [] for key in per_mode}
            applied: list[list[float]] = []  # the worker's share: ms per save, applied a slice at a time
            for run in range(args.runs):
                times: dict[tuple, list[float]] = {key: [] for key in per_mode}
                applying: list[float] = []
                # Modes take turns every SAVE_SLICE saves, so a busy moment of the machine falls
                # on both alike.
                for turn in range(max(1, args.saves // SAVE_SLICE) * 2):
                    mode = ("views", "none")[(turn + run) % 2]
                    tm.begin()
                    database.design, views_catalog.indexes = with_views if mode == "views" else without_views
                    tm.commit()
                    before = changes.stat().st_size
                    for items in itertools.islice(stream, SAVE_SLICE):
                        times["create", mode].append(_timed_save(
                            tm, lambda items=items: writer.create(database, items)))
                    middle = changes.stat().st_size
                    for _ in range(SAVE_SLICE):
                        unid = pools[mode].pop()
                        times["edit", mode].append(_timed_save(tm, lambda unid=unid: edit(unid)))
                    written["create", mode].append((middle - before) / SAVE_SLICE)
                    written["edit", mode].append((changes.stat().st_size - middle) / SAVE_SLICE)
                    if mode == "views":  # the worker's round after them: the slice's journal entries
                        applying.append(_timed_save(tm, lambda: journal.apply(views_catalog))
                                        / (2 * SAVE_SLICE))
                for key, values in times.items():
                    per_mode[key].append(values)
                applied.append(applying)
                print(f"  saves @{count:,} run {run + 1}/{args.runs}: " + ", ".join(
                    f"{kind} 10 views {statistics.median(times[kind, 'views']):.2f} ms, none "
                    f"{statistics.median(times[kind, 'none']):.2f} ms" for kind in kinds)
                    + f"; the worker applies them at {statistics.median(applying):.2f} ms a save",
                    flush=True)
            tm.begin()
            database.design, views_catalog.indexes = with_views
            tm.commit()
    finally:
        db.close()
    figures: dict[str, object] = {"views": view_count, "build_extra_views_seconds": build_seconds,
                                  "worker_apply_per_save": summary(applied)}
    for kind in kinds:
        views, none = summary(per_mode[kind, "views"]), summary(per_mode[kind, "none"])
        extras = [a - b for a, b in zip(views["runs_ms"], none["runs_ms"], strict=True)]
        figures[kind] = {"with_views": views, "without_views": none, "extra_ms": statistics.median(extras),
                         "extra_p95_ms": views["p95_ms"] - none["p95_ms"],
                         "bytes_with_views": statistics.median(written[kind, "views"]),
                         "bytes_without_views": statistics.median(written[kind, "none"])}
    return figures


# ---------------------------------------------------------------------------
# PouchDB
# ---------------------------------------------------------------------------

POUCH_NODE_VERSION = "9.0.0"
POUCH_SKIPS = 100  # skip+limit costs PouchDB time in proportion to the offset: fewer of them per run


def install_pouch() -> Path:
    """pouchdb-node from npm into bench/.cache, the first time; its node_modules folder."""
    return npm_install("pouchdb-node", POUCH_NODE_VERSION)


def measure_pouch(args: argparse.Namespace, plan: dict, scratch: Path) -> dict:
    """Run bench/_pouch_views.js on the first ``--pouch-documents`` documents; its figures."""
    modules = install_pouch()
    lines = scratch / "documents.jsonl"
    with lines.open("w", encoding="utf-8") as out:
        for items in itertools.islice(documents(args.seed), args.pouch_documents):
            out.write(json.dumps(items, ensure_ascii=False) + "\n")
    config = scratch / "pouch.json"
    config.write_text(json.dumps({
        "documents": str(lines), "folder": str(scratch / "pouch" / "bench"), "runs": args.runs,
        "keys": plan["keys"], "offsets": [run[:POUCH_SKIPS] for run in plan["offsets"]],
        "category": plan["category"],
        "category_reads": args.category_reads}, ensure_ascii=False))
    print(f"PouchDB {POUCH_NODE_VERSION}: loading {args.pouch_documents:,} documents and querying …",
          flush=True)
    done = subprocess.run(["node", str(HERE / "_pouch_views.js"), str(config)], capture_output=True,
                          text=True, env={**os.environ, "NODE_PATH": str(modules)})
    if done.returncode != 0:
        raise RuntimeError(f"bench/_pouch_views.js failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def _verdict(value: float, limit: float) -> str:
    return f"≤ {limit:g} {'PASS' if value <= limit else 'FAIL'}"


def report(results: dict, args: argparse.Namespace) -> bool:
    big, small, pouch = results["domus"], results.get("domus_small"), results.get("pouchdb")
    n, p = args.documents, args.pouch_documents
    ok = True
    print(f"\nDomus view engine, {n:,} documents (FileStorage, in-process), medians of {args.runs} runs")
    head = f"{'figure':<44}{'Domus @' + format(n, ','):>16}"
    if small is not None:
        head += f"{'Domus @' + format(p, ','):>16}{'PouchDB @' + format(p, ','):>18}{'ours/theirs':>13}"
    print(head + "  target (@N)")

    def row(label: str, ours: float | None, same: float | None, theirs: float | None, fmt: str,
            limit: float | None = None) -> None:
        nonlocal ok
        line = f"{label:<44}" + (f"{ours:>16{fmt}}" if ours is not None else f"{'':>16}")
        if small is not None:
            line += f"{same:>16{fmt}}" if same is not None else f"{'':>16}"
            line += f"{theirs:>18{fmt}}{ratio(same, theirs):>12.2f}x" if theirs and same is not None else ""
        if limit is not None and ours is not None:
            passed = ours <= limit
            ok &= passed
            line = f"{line:<107}  {_verdict(ours, limit)}"
        print(line)

    def pick(source: dict | None, *path: str) -> float | None:
        for key in path:
            if source is None:
                return None
            source = source.get(key)
        return source  # type: ignore[return-value]

    for key, label in (("page_at_key", "1. 50-row page at a random key, ms"),
                       ("page_at_offset", "2. 50-row page at a random offset, ms")):
        row(label, big[key]["median_ms"], pick(small, key, "median_ms"), pick(pouch, key, "median_ms"),
            ",.2f", TARGETS[key])
        row("     p95, ms", big[key]["p95_ms"], pick(small, key, "p95_ms"), pick(pouch, key, "p95_ms"),
            ",.2f")
    label = f"3. expand a category ({big['category_rows']:,} rows @N), ms"
    row(label, big["category"]["median_ms"], pick(small, "category", "median_ms"),
        pick(pouch, "category", "median_ms"), ",.2f")
    if small is not None and pouch is not None:
        print(f"{'     rows @' + format(p, ','):<44}{'':>16}{small['category_rows']:>16,}"
              f"{pouch['category_rows']:>18,}")
    row(f"   collapsed MemosByDept ({big['categories']} categories), ms", big["collapsed"]["median_ms"],
        pick(small, "collapsed", "median_ms"), None, ",.1f")
    saves = results.get("saves")
    for kind, label in (("create", "save (a new document)"), ("edit", "edit (new subject and text)")):
        figure = saves.get(kind) if saves is not None else None
        if figure is None:
            continue
        row(f"4. {label}, {saves['views']} views, ms", figure["with_views"]["median_ms"], None, None, ",.2f")
        row(f"   {kind}, no views, ms", figure["without_views"]["median_ms"], None, None, ",.2f")
        row(f"   extra per {kind} for 10 views, ms", figure["extra_ms"], None, None, ",.2f",
            TARGETS["save_extra"])
        row(f"   extra per {kind} at p95, ms", figure["extra_p95_ms"], None, None, ",.2f")
        row(f"   bytes appended per {kind}, 10 views", figure["bytes_with_views"], None, None, ",.0f")
        row(f"   bytes appended per {kind}, no views", figure["bytes_without_views"], None, None, ",.0f")
    if saves is not None:
        row("   the worker's share: the journal, ms a save", saves["worker_apply_per_save"]["median_ms"],
            None, None, ",.2f")
    rebuild = results["rebuild"]["MemosByDept"]
    theirs = pick(pouch, "first_query_s", "memos")
    same = pick(results, "rebuild_small", "MemosByDept", "seconds")
    limit = TARGETS["rebuild"] if n >= 1_000_000 else None
    row("5. rebuild MemosByDept (PouchDB: 1st query), s", rebuild["seconds"], same, theirs, ",.2f", limit)
    if limit is None:
        print(f"{'     … linear at 1,000,000, s':<44}{rebuild['seconds'] * 1_000_000 / n:>16,.1f}"
              f"{'':<47}  {_verdict(rebuild['seconds'] * 1_000_000 / n, TARGETS['rebuild'])} (estimate)")
    row("   commit of the rebuilt index, s", rebuild["commit_seconds"], None, None, ",.2f")
    if small is not None:
        row("   rebuild IncomingByDate (PouchDB: 1st q.), s", None,
            pick(results, "rebuild_small", "IncomingByDate", "seconds"),
            pick(pouch, "first_query_s", "incoming"), ",.2f")
    setup, setup_small = results["setup"], results.get("setup_small")
    row("load, docs/s (ours: 6 views; PouchDB: none)", setup["load_docs_per_s"],
        pick(setup_small, "load_docs_per_s"), pick(pouch, "load_docs_per_s"), ",.0f")
    row("Data.fs after the load, unpacked, MiB", setup.get("data_fs_bytes_before_pack", 0) / 2**20,
        (setup_small.get("data_fs_bytes_before_pack", 0) / 2**20) if setup_small else None, None, ",.0f")
    row("Data.fs after the load, packed, MiB (PouchDB: LevelDB)", setup["data_fs_bytes"] / 2**20,
        (setup_small["data_fs_bytes"] / 2**20) if setup_small else None,
        (pouch["disk_bytes"] / 2**20) if pouch else None, ",.0f")
    print(f"{'RSS of this process after the reads @N, MiB':<44}{big['rss_mib_after_reads']:>16,.0f}")
    print(f"{'peak RSS of this process (whole run), MiB':<44}{results['peak_rss_mib']:>16,.0f}")
    if pouch is not None:
        print(f"{'RSS of the PouchDB node process, MiB':<44}{'':>16}{'':>16}{pouch['rss_mib']:>18,.0f}")
    if small is not None:
        print(f"ours/theirs compares Domus and PouchDB at {p:,} documents: below 1.0x Domus takes less time "
              "(or space); for docs/s, below 1.0x Domus is slower")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=1_000_000, help="documents in the big database")
    parser.add_argument("--pouch-documents", type=int, default=100_000,
                        help="documents for the PouchDB reference (0: none)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reads", type=int, default=500, help="pages per run and figure")
    parser.add_argument("--category-reads", type=int, default=50, help="category expansions per run")
    parser.add_argument("--saves", type=int, default=200, help="single saves per run and mode (figure 4)")
    parser.add_argument("--rebuild-runs", type=int, default=None,
                        help="rebuilds per view (default: --runs up to 200,000 documents, else 1)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--fresh", action="store_true", help="reload the cached databases")
    args = parser.parse_args()
    if args.documents < 1000 or args.pouch_documents < 0:
        parser.error("--documents must be at least 1000 and --pouch-documents not negative")

    results: dict = {"date": date.today().isoformat(), "args": vars(args)}
    results["setup"] = load(args.documents, args.seed, args.fresh)
    if args.pouch_documents:
        results["setup_small"] = load(args.pouch_documents, args.seed, args.fresh)
    with tempfile.TemporaryDirectory(prefix="domus-bench-views-") as tmp:
        scratch = Path(tmp)
        plan: dict = {}
        print(f"reading views @{args.documents:,} …", flush=True)
        results["domus"] = measure_reads(args.documents, args, plan)
        print("rebuilding …", flush=True)
        results["rebuild"] = measure_rebuilds(args.documents, REBUILT[:1], rebuild_runs(args, args.documents),
                                              scratch / "rebuild", commit=True)
        print("saving …", flush=True)
        results["saves"] = measure_saves(args.documents, args, scratch / "saves")
        if args.pouch_documents:
            small_plan = {"keys": plan["keys"]}
            print(f"reading views @{args.pouch_documents:,} …", flush=True)
            results["domus_small"] = measure_reads(args.pouch_documents, args, small_plan)
            results["rebuild_small"] = measure_rebuilds(args.pouch_documents, REBUILT,
                                                        rebuild_runs(args, args.pouch_documents),
                                                        scratch / "rebuild-small", commit=False)
            try:
                results["pouchdb"] = measure_pouch(args, small_plan, scratch)
            except (RuntimeError, OSError, subprocess.CalledProcessError, json.JSONDecodeError) as error:
                print(f"\n*** PouchDB reference not measured: {error}\n", flush=True)
                results["pouchdb_error"] = str(error)
    results["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = report(results, args)
    save_results("views" if args.documents == 1_000_000 else f"views-{args.documents}", results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
