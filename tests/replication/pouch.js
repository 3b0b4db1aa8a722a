// PouchDB (pouchdb-node, LevelDB on disk) driven by the interoperability tests.
//
//   node pouch.js fill DIR              documents with attachments, a deletion and a conflict
//   node pouch.js replicate FROM TO     one-shot replication; FROM/TO a folder or a URL
//   node pouch.js edit DIR ID FIELD VALUE   a new revision of one document
//   node pouch.js dump DIR|URL          every document: winner, conflicts, body, attachment digests
//
// Prints one JSON line on stdout; exits non-zero with the error on stderr.
'use strict';
const PouchDB = require('pouchdb-node');

const open = (where) => new PouchDB(where);
const text = (s) => Buffer.from(s, 'utf8').toString('base64');

async function fill(dir) {
  const db = open(dir);
  await db.bulkDocs([
    {_id: 'letter-1', Form: 'Incoming', Subject: 'Письмо о ремонте', Pages: 2},
    {_id: 'letter-2', Form: 'Incoming', Subject: 'Жалоба', _attachments: {
      'scan.txt': {content_type: 'text/plain', data: text('скан письма\n'.repeat(200))}}},
    {_id: 'memo/3', Form: 'Memo', Subject: 'id with a slash'},
    {_id: 'to-delete', Form: 'Memo', Subject: 'will be deleted'},
  ]);
  const del = await db.get('to-delete');
  await db.remove(del);
  const edited = await db.get('letter-1');
  edited.Pages = 3;
  await db.put(edited);
  // A conflict: two second revisions on one first revision, as two replicas would make them.
  const base = await db.put({_id: 'conflicted', Form: 'Memo', Subject: 'base'});
  const parent = base.rev.split('-')[1];
  const branch = (hash, subject) => ({
    _id: 'conflicted', _rev: `2-${hash}`, Form: 'Memo', Subject: subject,
    _revisions: {start: 2, ids: [hash, parent]}});
  await db.bulkDocs([branch('a'.repeat(32), 'side A'), branch('b'.repeat(32), 'side B')],
    {new_edits: false});
  return {ok: true};
}

async function replicate(from, to) {
  const result = await PouchDB.replicate(open(from), open(to), {batch_size: 50});
  return {ok: result.ok, docs_written: result.docs_written, doc_write_failures: result.doc_write_failures,
    errors: result.errors.map(String)};
}

async function edit(dir, id, field, value) {
  const db = open(dir);
  const doc = await db.get(id);
  doc[field] = value;
  return db.put(doc);
}

async function dump(where) {
  const db = open(where);
  const all = await db.allDocs({include_docs: true, conflicts: true});
  const out = {};
  for (const row of all.rows) {
    const doc = row.doc;
    const atts = {};
    for (const [name, att] of Object.entries(doc._attachments || {})) {
      atts[name] = {digest: att.digest, content_type: att.content_type};
    }
    const body = Object.fromEntries(Object.entries(doc).filter(([k]) => !k.startsWith('_')));
    out[doc._id] = {rev: doc._rev, conflicts: (doc._conflicts || []).sort(), body, attachments: atts};
  }
  const deleted = await db.changes({style: 'all_docs'});
  const gone = deleted.results.filter((c) => c.deleted).map((c) => c.id).sort();
  return {docs: out, deleted: gone};
}

const commands = {fill, replicate, edit, dump};
const [command, ...args] = process.argv.slice(2);
commands[command](...args).then(
  (result) => { process.stdout.write(JSON.stringify(result) + '\n'); },
  (error) => { process.stderr.write(String(error && error.stack || JSON.stringify(error)) + '\n'); process.exit(1); });
