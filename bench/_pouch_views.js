"use strict";
// The PouchDB side of bench/views.py: the same documents, the same two views, the same queries.
//
//   NODE_PATH=bench/.cache/pouchdb-node/node_modules node bench/_pouch_views.js CONFIG.json
//
// CONFIG.json (written by bench/views.py):
//   {"documents": "docs.jsonl", "folder": "/tmp/…/pouch", "runs": 3,
//    "keys": [[…RegDate keys of run 1…], …], "offsets": [[…], …],
//    "category": "Архивный отдел", "category_reads": 50}
//
// Loads the JSON-lines documents into a fresh LevelDB database (bulks of 1,000), stores a
// _design document with map functions equivalent to Domus's MemosByDept and IncomingByDate,
// times the first query of each (which builds its index), then 50-row pages of IncomingByDate
// from a key (descending, startkey + limit) and from an offset (skip + limit) and the
// expansion of one MemosByDept category, and prints the figures as one JSON object on stdout.

const fs = require("fs");
const path = require("path");
const readline = require("readline");
const { performance } = require("perf_hooks");
const PouchDB = require("pouchdb-node");

const BULK = 1000;
const DESIGN = {
  _id: "_design/bench",
  views: {
    memos: {
      map: 'function (doc) { if (doc.Form === "Memo") { emit([doc.Dept, doc.Subject], doc.Pages); } }',
    },
    incoming: {
      map: 'function (doc) { if (doc.Form === "Incoming") { ' +
        "emit(doc.RegDate, [doc.RegNumber, doc.Correspondent, doc.Subject]); } }",
    },
  },
};

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function p95(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)];
}

function folderBytes(folder) {
  let total = 0;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    total += entry.isDirectory() ? folderBytes(full) : fs.statSync(full).size;
  }
  return total;
}

async function load(db, file) {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let batch = [];
  let count = 0;
  for await (const line of lines) {
    if (!line) continue;
    batch.push(JSON.parse(line));
    if (batch.length === BULK) {
      await db.bulkDocs(batch);
      count += batch.length;
      batch = [];
    }
  }
  if (batch.length) {
    await db.bulkDocs(batch);
    count += batch.length;
  }
  return count;
}

async function timed(queries, expected) {
  const times = [];
  for (const [view, options] of queries) {
    const started = performance.now();
    const answer = await DB.query(view, options);
    times.push(performance.now() - started);
    if (expected !== undefined && answer.rows.length !== expected) {
      throw new Error(`${view} ${JSON.stringify(options)} gave ${answer.rows.length} rows, not ${expected}`);
    }
  }
  return times;
}

function summary(perRun) {
  return { median_ms: median(perRun.map(median)), p95_ms: p95(perRun.flat()), runs_ms: perRun.map(median) };
}

let DB;

async function main() {
  const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  fs.rmSync(config.folder, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(config.folder), { recursive: true });
  DB = new PouchDB(config.folder);
  const out = { version: PouchDB.version, adapter: DB.adapter };

  let started = performance.now();
  out.documents = await load(DB, config.documents);
  out.load_seconds = (performance.now() - started) / 1000;
  out.load_docs_per_s = out.documents / out.load_seconds;
  await DB.put(DESIGN);

  out.first_query_s = {};
  for (const view of ["memos", "incoming"]) {
    started = performance.now();
    await DB.query(`bench/${view}`, { limit: 1 });
    out.first_query_s[view] = (performance.now() - started) / 1000;
  }
  out.rows = {
    memos: (await DB.query("bench/memos", { limit: 0 })).total_rows,
    incoming: (await DB.query("bench/incoming", { limit: 0 })).total_rows,
  };

  // one untimed warm-up pass over the first run's queries
  await timed(config.keys[0].map((key) => ["bench/incoming", { startkey: key, descending: true, limit: 50 }]));

  const byKey = [];
  const bySkip = [];
  const byCategory = [];
  const category = [config.category];
  const categoryQuery = { startkey: category, endkey: [config.category, {}], limit: 1000 };
  for (let run = 0; run < config.runs; run++) {
    byKey.push(await timed(config.keys[run].map(
      (key) => ["bench/incoming", { startkey: key, descending: true, limit: 50 }])));
    bySkip.push(await timed(config.offsets[run].map(
      (skip) => ["bench/incoming", { descending: true, skip, limit: 50 }]), 50));
    byCategory.push(await timed(Array.from({ length: config.category_reads },
      () => ["bench/memos", categoryQuery])));
  }
  out.page_at_key = summary(byKey);
  out.page_at_offset = summary(bySkip);
  out.category = summary(byCategory);
  out.category_rows = (await DB.query("bench/memos", categoryQuery)).rows.length;
  out.rss_mib = process.memoryUsage().rss / 2 ** 20;
  await DB.close();
  out.disk_bytes = fs.readdirSync(path.dirname(config.folder))
    .filter((name) => name.startsWith(path.basename(config.folder)))
    .reduce((sum, name) => sum + folderBytes(path.join(path.dirname(config.folder), name)), 0);
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
