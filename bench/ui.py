"""Web UI benchmark: server time to render a view page and a document page, and what a page weighs.

A clerk opens a view (50 rows) and a document dozens of times an hour, often
on a phone over a slow link, so a page must render in milliseconds on a big
database and weigh little.  This script measures, server-side, the time the
application takes to answer (the WSGI call, with authentication, the gate,
the view engine and the Jinja2 rendering; no network), and the bytes of each
page with the stylesheet and script it loads.

Setup: a ``documents`` database (template ``databases/documents.toml``)
with ``--documents`` generated documents (fixed seed): 60% Incoming letters
(RegDate over six years, ~700 bytes of Russian text) and 40% Memos over 12
departments, written with ``core.writes.Writer`` so every view is kept, in a
FileStorage in ``bench/.cache/ui-N/`` reused by later runs with the same N
and the same code of the stored classes (``--fresh`` reloads it).  The
application is ``core.make_app`` on that storage, called in-process through
WebTest as the administrator (HTTP Basic; the password check is cached as on
a server).

Figures, each the median over ``--runs`` runs of that run's median (and p95),
with the JSON API answering the same question side by side (what the HTML
costs over the data):

1. a 50-row page of IncomingByDate from a random key (``?key=2023-05-01``, the "jump to" box)
   against ``GET /api/…/views/IncomingByDate?startkey=…&count=50``; target ≤ 50 ms;
2. a 50-row page of IncomingByDate at a random offset (``?start=…``) against ``?start=…&count=50``;
3. a page of MemosByDept with one category open (its first 50 documents) against
   ``?category=…&count=50``;
4. a document page of a random Incoming letter against ``GET /api/…/documents/{unid}``; target ≤ 50 ms;
5. a 50-row page of IncomingByDate sorted by its click-to-sort column Correspondent at a random offset
   (``?sort=Correspondent&start=…``, the header's ⇅ link) against ``?resort=Correspondent&start=…``;
6. the weight of the view page and of the document page: HTML + CSS + JS bytes; target ≤ 100 KB.

    .venv/bin/python bench/ui.py                        # 1,000,000 documents, 3 runs
    .venv/bin/python bench/ui.py --documents 100000 --runs 3
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import shutil
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# ``python bench/ui.py`` puts bench/ first on sys.path, where bench/core.py would hide the ``core``
# package: the project goes first, bench/ last.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
sys.path.append(str(HERE))

from _peers import CACHE, save_results  # noqa: E402
from tqdm import tqdm  # noqa: E402
from webtest import TestApp  # noqa: E402

from core import make_app, shutdown  # noqa: E402
from core.initialise import initialise  # noqa: E402
from core.plugins import make_plugin_manager  # noqa: E402
from core.root import server_root  # noqa: E402
from core.storage import connection_scope, open_db  # noqa: E402
from core.templates import load_templates  # noqa: E402
from core.writes import Writer  # noqa: E402

SEED = 2026
PASSWORD = "bench-password-1"
COMMIT_EVERY = 1000
CACHE_OBJECTS = 20000  # the server's connection_cache_size (core.settings)
FIRST_DAY, DAYS = date(2021, 1, 1), 6 * 365
DEPARTMENTS = ("Аппарат Исполкома", "Управление ЖКХ", "Комитет внешнего благоустройства",
               "Управление образования", "Финансовое управление", "Управление архитектуры",
               "Правовое управление", "Управление культуры", "Управление транспорта",
               "Отдел кадров", "Бухгалтерия", "Управление экономики")
WORDS = ("о", "ремонте", "кровли", "многоквартирного", "дома", "по", "улице", "предоставлении",
         "информации", "благоустройстве", "территории", "исполнении", "поручения", "Исполкома",
         "города", "Казани", "проверке", "жалобы", "граждан", "вывозе", "отходов", "освещении",
         "двора", "согласовании", "проекта", "договора", "финансировании", "программы", "школы")
CORRESPONDENTS = ("Кабинет Министров РТ", "Прокуратура г. Казани", "МУП «Водоканал»",
                  "Управление Роспотребнадзора по РТ", "ПАО «Таттелеком»", "Казанская городская Дума")
TARGETS = {"ms": 50.0, "kb": 100.0}
# The modules of the persistent classes and keys a loaded database holds.
STORED_CLASSES = ("core/document.py", "core/database.py", "core/root.py", "core/attachments.py",
                  "views/index.py", "views/ordered.py", "views/collation.py", "views/catalog.py",
                  "views/resort.py", "databases/documents.toml")
VIEW, CATEGORIZED, RESORT = "IncomingByDate", "MemosByDept", "Correspondent"


# ---------------------------------------------------------------------------
# the database
# ---------------------------------------------------------------------------


def make_items(rng: random.Random, n: int) -> dict[str, object]:
    def words(count: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(count))

    if n % 5 < 3:
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        return {"Form": "Incoming", "RegNumber": f"Вх-{n}/{day.year}", "RegDate": day.isoformat(),
                "Correspondent": rng.choice(CORRESPONDENTS), "Subject": words(8).capitalize(),
                "Body": words(70), "Pages": rng.randrange(1, 20), "DeliveryMethod": "СЭД"}
    return {"Form": "Memo", "From": "Иванова А. С.", "To": "Петров И. В.",
            "Dept": rng.choice(DEPARTMENTS), "Subject": "Служебная записка " + words(6),
            "Body": words(50), "Pages": rng.randrange(1, 10)}


def storage_uri(folder: Path) -> str:
    return (f"file://{folder}/Data.fs?blobstorage_dir={folder}/blobs"
            f"&connection_cache_size={CACHE_OBJECTS}")


def engine_fingerprint() -> str:
    """A digest of the code whose stored objects the cache holds: a cache from other code is stale."""
    digest = hashlib.sha256()
    for name in STORED_CLASSES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:16]


def load(count: int, fresh: bool) -> Path:
    """The cached database of ``count`` documents (with the server's own databases and admin)."""
    folder = CACHE / f"ui-{count}"
    marker = folder / "loaded.json"
    engine = engine_fingerprint()
    if marker.exists() and not fresh:
        if json.loads(marker.read_text()).get("engine") == engine:
            print(f"using the database of {count:,} documents in {folder} (--fresh reloads it)")
            return folder
        print(f"the database in {folder} was stored by other code: reloading")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pm = make_plugin_manager(load_entry_points=False)
    db = open_db(storage_uri(folder))
    initialise(db, pm, load_templates(pm), PASSWORD)
    rng = random.Random(SEED)
    started = time.perf_counter()
    with connection_scope(db) as (tm, connection):
        writer = Writer(pm, "bench", tm)
        stream = (make_items(rng, n) for n in itertools.count())
        with tqdm(total=count, desc=f"loading {count:,}", unit="doc", unit_scale=True) as bar:
            for offset in range(0, count, COMMIT_EVERY):
                size = min(COMMIT_EVERY, count - offset)
                tm.begin()
                database = server_root(connection).get_database("documents")
                for items in itertools.islice(stream, size):
                    writer.create(database, items)
                tm.commit()
                bar.update(size)
    seconds = time.perf_counter() - started
    print("packing Data.fs", flush=True)
    db.pack()
    db.close()
    marker.write_text(json.dumps({"documents": count, "seed": SEED, "engine": engine,
                                  "load_seconds": seconds}))
    print(f"loaded {count:,} documents in {seconds:,.0f} s")
    return folder


# ---------------------------------------------------------------------------
# measuring
# ---------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def timed(client: TestApp, paths: list[str]) -> list[float]:
    """Milliseconds of each GET, in-process; every answer must be a 200."""
    times = []
    for path in paths:
        started = time.perf_counter()
        client.get(path, status=200)
        times.append((time.perf_counter() - started) * 1000)
    return times


def workloads(client: TestApp, rng: random.Random, reads: int) -> dict[str, tuple[list, list]]:
    """``figure -> (UI paths, API paths)`` asking the same questions."""
    api = "/api/databases/documents"
    total = client.get(f"{api}/views/{VIEW}?count=1").json["total"]
    days = [(FIRST_DAY + timedelta(days=rng.randrange(DAYS))).isoformat() for _ in range(reads)]
    starts = [rng.randrange(max(1, total - 50)) for _ in range(reads)]
    departments = [rng.choice(DEPARTMENTS) for _ in range(reads)]
    incoming = [row["@unid"] for row in client.get(
        f"{api}/views/{VIEW}?count=1000&start={rng.randrange(max(1, total - 1000))}").json["rows"]]
    unids = [rng.choice(incoming) for _ in range(reads)]
    ui_view = f"/db/documents/views/{VIEW}"
    return {
        "view_page_at_key": ([f"{ui_view}?key={d}" for d in days],
                             [f"{api}/views/{VIEW}?startkey={d}&count=50" for d in days]),
        "view_page_at_offset": ([f"{ui_view}?start={s}" for s in starts],
                                [f"{api}/views/{VIEW}?start={s}&count=50" for s in starts]),
        "category_open": ([f"/db/documents/views/{CATEGORIZED}?open={quote(d)}" for d in departments],
                          [f"{api}/views/{CATEGORIZED}?category={quote(d)}&count=50"
                           for d in departments]),
        "document_page": ([f"/db/documents/documents/{u}" for u in unids],
                          [f"{api}/documents/{u}" for u in unids]),
        "sorted_by_column": ([f"{ui_view}?sort={RESORT}&start={s}" for s in starts],
                             [f"{api}/views/{VIEW}?resort={RESORT}&start={s}&count=50" for s in starts]),
    }


def weight(client: TestApp, path: str) -> dict[str, int]:
    """Bytes of a page and of the stylesheet and script it loads."""
    page = client.get(path)
    html = len(page.body)
    assets = sum(len(client.get(tag[attr]).body) for tag, attr in
                 [(t, "href") for t in page.html.select("link[rel=stylesheet]")]
                 + [(t, "src") for t in page.html.select("script[src]")])
    return {"html": html, "assets": assets, "total": html + assets}


def measure(folder: Path, args: argparse.Namespace) -> dict:
    db = open_db(storage_uri(folder))
    app = make_app({"zodbconn.uri": storage_uri(folder), "domus.var_dir": str(folder)},
                   zodb=db, load_entry_points=False)
    client = TestApp(app, extra_environ={"HTTP_ACCEPT_LANGUAGE": "ru"})
    client.authorization = ("Basic", ("admin", PASSWORD))
    try:
        runs: dict[str, dict[str, list]] = {}
        for run in range(args.runs):
            rng = random.Random(SEED + run)
            for name, (ui_paths, api_paths) in workloads(client, rng, args.reads).items():
                timed(client, ui_paths[:20] + api_paths[:20])  # warm the connection cache
                ui_times, api_times = timed(client, ui_paths), timed(client, api_paths)
                figure = runs.setdefault(name, {"ui": [], "ui_p95": [], "api": [], "api_p95": []})
                figure["ui"].append(statistics.median(ui_times))
                figure["ui_p95"].append(p95(ui_times))
                figure["api"].append(statistics.median(api_times))
                figure["api_p95"].append(p95(api_times))
        rng = random.Random(SEED)
        sample = workloads(client, rng, 1)
        weights = {"view_page": weight(client, sample["view_page_at_key"][0][0]),
                   "document_page": weight(client, sample["document_page"][0][0])}
    finally:
        shutdown(app.registry)
        db.close()
    return {"times": {name: {key: statistics.median(values) for key, values in figure.items()}
                      for name, figure in runs.items()}, "weights": weights}


def report(results: dict) -> bool:
    ok = True
    print(f"\nweb UI at {results['documents']:,} documents, medians of {results['runs']} runs "
          f"of {results['reads']} pages each (ms, server side)\n")
    print(f"{'page':<22}{'UI median':>11}{'UI p95':>9}{'API median':>12}{'API p95':>9}"
          f"{'UI/API':>8}  target")
    for name, figure in results["times"].items():
        passed = figure["ui_p95"] <= TARGETS["ms"]
        ok &= passed
        print(f"{name:<22}{figure['ui']:>11.1f}{figure['ui_p95']:>9.1f}{figure['api']:>12.1f}"
              f"{figure['api_p95']:>9.1f}{figure['ui'] / figure['api']:>8.2f}  "
              f"p95 ≤ {TARGETS['ms']:.0f} ms {'PASS' if passed else 'FAIL'}")
    print(f"\n{'page weight':<22}{'HTML':>9}{'CSS+JS':>9}{'total':>9}  target")
    for name, sizes in results["weights"].items():
        passed = sizes["total"] <= TARGETS["kb"] * 1000
        ok &= passed
        print(f"{name:<22}{sizes['html'] / 1000:>8.1f}K{sizes['assets'] / 1000:>8.1f}K"
              f"{sizes['total'] / 1000:>8.1f}K  ≤ {TARGETS['kb']:.0f} KB {'PASS' if passed else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1_000_000, help="documents in the database")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reads", type=int, default=200, help="pages per run and figure")
    parser.add_argument("--fresh", action="store_true", help="reload the cached database")
    args = parser.parse_args()
    folder = load(args.documents, args.fresh)
    results = {"date": date.today().isoformat(), "documents": args.documents, "runs": args.runs,
               "reads": args.reads, **measure(folder, args)}
    ok = report(results)
    save_results("ui", results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
