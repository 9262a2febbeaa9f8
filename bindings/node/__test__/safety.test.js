// Safety: statements are read as the core proved them (pinned settings first, in apply and
// in generated migrations), weakening is refused unless allowed, lock waits are bounded.
// Each test first shows the attack or fault working where pgpolicy's defenses are not in
// the way.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Sequelize, DataTypes } = require('sequelize');
const pgpolicy = require('..');
const { generateMigration } = require('../sequelize');
const { pg, freshDatabase, sequelizeFor, stop } = require('./helpers');

test.after(stop);

// One expression under standard_conforming_strings = on (two string constants); under off,
// `'\'` does not end the first string, and the text closes the policy's USING, drops the
// table `victim` and ends in a harmless SELECT.
const INJECTION = "b = '\\' AND b = ');DROP TABLE victim;SELECT (1 --'\nIS NOT NULL";
const DESIRED = { tables: [{ name: 't', columns: [{ name: 'b', type: 'text' }], policies: [{ name: 'p', using: INJECTION }] }] };

/** A database whose sessions start with standard_conforming_strings off, with `victim` (and `t`). */
function scsOff({ withT = true } = {}) {
  const db = freshDatabase('scs');
  pg().psql(db, `${withT ? 'CREATE TABLE t (b text); ' : ''}CREATE TABLE victim (x int)`);
  pg().psql(db, `ALTER DATABASE ${db} SET standard_conforming_strings = off`);
  return db;
}

function hasVictim(db) {
  return pg().psql(db, "SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'victim'").trim() === '1';
}

function storedUsing(db) {
  return pg().psql(db, "SELECT pg_catalog.pg_get_expr(polqual, polrelid) FROM pg_catalog.pg_policy WHERE polname = 'p'");
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pgpolicy-safety-'));
}

/** The statements a generated migration runs, per direction (recorded, not run). */
async function statementsOf(file) {
  delete require.cache[require.resolve(file)];
  const migration = require(file);
  const recorder = (list) => ({
    sequelize: { transaction: async (fn) => fn('T'), query: async (sql) => list.push(sql) },
  });
  const up = [];
  const down = [];
  await migration.up(recorder(up), Sequelize);
  await migration.down(recorder(down), Sequelize);
  return { up, down };
}

test('unpinned, the policy statement runs a DROP when standard_conforming_strings is off', async () => {
  const create = pgpolicy.diff({ tables: [] }, DESIRED).statements[0];
  assert.match(create, /^CREATE POLICY p ON public\.t .*IS NOT NULL\)$/s);
  // What a migration would run without the pins: the statement through Sequelize, on a
  // database whose sessions have standard_conforming_strings off (Sequelize sets it on at
  // connect unless `standardConformingStrings: false`, which leaves the database's setting).
  const db = scsOff();
  const sequelize = sequelizeFor(db, { standardConformingStrings: false });
  const [row] = await sequelize.query('SHOW standard_conforming_strings', { type: 'SELECT' });
  assert.equal(row.standard_conforming_strings, 'off');
  await sequelize.query(create);
  await sequelize.close();
  assert.equal(hasVictim(db), false);
  assert.equal(storedUsing(db).trim(), "(b = ''' AND b = '::text)");
});

test('apply reads the expression as one, and so does the comparison', async () => {
  const db = scsOff();
  const url = pg().url(db);
  const plan = await pgpolicy.apply(url, DESIRED);
  assert.equal(plan.applied, true);
  assert.deepEqual(plan.preamble, pgpolicy.sessionPins());
  assert.equal(hasVictim(db), true);
  assert.match(storedUsing(db), /'\);DROP TABLE victim;SELECT \(1 --'/);
  assert.deepEqual((await pgpolicy.apply(url, DESIRED, { dryRun: true })).changes, []);
});

test('a generated migration pins its transaction before the policy statement', async () => {
  const db = scsOff();
  const sequelize = sequelizeFor(db, { standardConformingStrings: false });
  sequelize.define(
    'T',
    { b: { type: DataTypes.TEXT, primaryKey: true } },
    { tableName: 't', timestamps: false, rls: { policies: [{ name: 'p', using: INJECTION }] } }
  );
  const dir = tempDir();
  try {
    const file = await generateMigration({ sequelize, migrationsPath: dir, name: 'injection' });
    const { up } = await statementsOf(file);
    assert.deepEqual(up.slice(0, 4), pgpolicy.sessionPins());
    assert.match(up[4], /^CREATE POLICY p ON public\.t /);
    const [row] = await sequelize.query('SHOW standard_conforming_strings', { type: 'SELECT' });
    assert.equal(row.standard_conforming_strings, 'off');
    await require(file).up(sequelize.getQueryInterface(), Sequelize);
    assert.equal(hasVictim(db), true);
    assert.match(storedUsing(db), /DROP TABLE victim/);
    await require(file).down(sequelize.getQueryInterface(), Sequelize);
    assert.equal(storedUsing(db).trim(), '');
    assert.equal(hasVictim(db), true);
  } finally {
    await sequelize.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a weakening plan is refused unless allowed (apply and sync)', async () => {
  const db = freshDatabase('weaken');
  const url = pg().url(db);
  pg().psql(db, 'CREATE TABLE docs (id int); ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY');
  const flags = async () => (await pgpolicy.introspect(url)).tables.find((t) => t.name === 'docs').rls;
  const off = { tables: [{ name: 'docs', rls: { enabled: false, forced: false } }] };

  const dry = await pgpolicy.apply(url, off, { dryRun: true });
  assert.equal(dry.weakens, true);
  assert.deepEqual(
    dry.steps.map((s) => s.weakens),
    ['turns row-level security off on public.docs', 'stops forcing row-level security on public.docs (its owner bypasses the policies)']
  );
  assert.match(dry.sql, /-- WEAKENS: turns row-level security off on public\.docs\n/);
  await assert.rejects(pgpolicy.apply(url, off), (e) => {
    assert.ok(e instanceof pgpolicy.WeakeningError && e instanceof pgpolicy.PgPolicyError);
    assert.equal(e.code, 'WEAKENS');
    assert.match(e.message, /weakens protection and was not applied/);
    return true;
  });
  assert.deepEqual(await flags(), { enabled: true, forced: true });

  // A model that declares policies only says nothing about FORCE: it stays on.
  const sequelize = sequelizeFor(db);
  const Doc = sequelize.define(
    'Doc',
    { id: { type: DataTypes.INTEGER, primaryKey: true } },
    { tableName: 'docs', timestamps: false, rls: { policies: [{ name: 'all', using: 'true', roles: ['CURRENT_USER'] }] } }
  );
  await sequelize.sync();
  assert.deepEqual(await flags(), { enabled: true, forced: true });
  // An explicit `enabled: false` weakens: sync refuses it unless allowed.
  Doc.options.rls = { enabled: false, policies: [] };
  await assert.rejects(sequelize.sync(), pgpolicy.WeakeningError);
  assert.deepEqual(await flags(), { enabled: true, forced: true });
  await sequelize.sync({ pgpolicy: { allowWeaken: true } });
  assert.deepEqual(await flags(), { enabled: false, forced: true });
  await sequelize.close();

  const applied = await pgpolicy.apply(url, off, { allowWeaken: true });
  assert.equal(applied.applied, true);
  assert.deepEqual(await flags(), { enabled: false, forced: false });
});

test('a generated migration that disables RLS says so, and pins the configured lock timeout', async () => {
  const db = freshDatabase('weakmig');
  pg().psql(db, 'CREATE TABLE docs (id int PRIMARY KEY); ALTER TABLE docs ENABLE ROW LEVEL SECURITY');
  const sequelize = sequelizeFor(db);
  sequelize.define('Doc', { id: { type: DataTypes.INTEGER, primaryKey: true } }, { tableName: 'docs', timestamps: false, rls: { enabled: false } });
  const dir = tempDir();
  try {
    const file = await generateMigration({ sequelize, migrationsPath: dir, name: 'rls-off', lockTimeout: '2s', statementTimeout: 60000 });
    const text = fs.readFileSync(file, 'utf8');
    const pins = pgpolicy.sessionPins({ lockTimeout: '2s', statementTimeout: '1min' });
    assert.ok(pins.includes("SET LOCAL lock_timeout TO '2000ms'"));
    const up = text.slice(text.indexOf('async up('), text.indexOf('async down('));
    const down = text.slice(text.indexOf('async down('));
    assert.match(up, /\/\/ WEAKENS: turns row-level security off on public\.docs\n\s+await queryInterface\.sequelize\.query\("ALTER TABLE public\.docs DISABLE ROW LEVEL SECURITY"/);
    assert.doesNotMatch(down, /WEAKENS/);
    assert.deepEqual(await statementsOf(file), {
      up: [...pins, 'ALTER TABLE public.docs DISABLE ROW LEVEL SECURITY'],
      down: [...pins, 'ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY'],
    });
  } finally {
    await sequelize.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('apply gives up on a held lock, saying nothing was applied', async () => {
  const db = freshDatabase('lock');
  const url = pg().url(db);
  pg().psql(db, 'CREATE TABLE locked (owner text)');
  const desired = { tables: [{ name: 'locked', columns: [{ name: 'owner', type: 'text' }], policies: [{ name: 'own', using: 'owner = current_user' }] }] };
  const holder = sequelizeFor(db);
  const t = await holder.transaction();
  try {
    await holder.query('LOCK TABLE locked IN ACCESS EXCLUSIVE MODE', { transaction: t });
    const start = Date.now();
    await assert.rejects(pgpolicy.apply(url, desired, { lockTimeout: 200, retries: 1 }), (e) => {
      assert.ok(e instanceof pgpolicy.DatabaseError, String(e));
      assert.match(e.message, /after 2 attempts \(nothing was applied\)/);
      assert.match(e.message, /another session holds a lock/);
      return true;
    });
    assert.ok(Date.now() - start < 5000, `took ${Date.now() - start} ms`);
  } finally {
    await t.rollback();
    await holder.close();
  }
  assert.deepEqual((await pgpolicy.introspect(url)).tables[0].policies, []);
  assert.equal((await pgpolicy.apply(url, desired, { lockTimeout: '200ms' })).applied, true);
});

test('durations: strings as PostgreSQL writes them, or milliseconds', () => {
  assert.deepEqual(pgpolicy.sessionPins({ lockTimeout: 250, statementTimeout: '2min' }).slice(2), [
    "SET LOCAL lock_timeout TO '250ms'",
    "SET LOCAL statement_timeout TO '120000ms'",
  ]);
  assert.throws(() => pgpolicy.sessionPins({ lockTimeout: '5 parsecs' }), /lockTimeout: invalid duration/);
  assert.throws(() => pgpolicy.sessionPins({ lockTimeout: -1 }), /lockTimeout/);
});

test('the addon runs on mimalloc, tuned for peak memory when it is loaded', () => {
  const { spawnSync } = require('child_process');
  const out = spawnSync(process.execPath, ['-e', "require('..')"], {
    cwd: __dirname,
    env: { ...process.env, MIMALLOC_VERBOSE: '1' },
    encoding: 'utf8',
  });
  assert.equal(out.status, 0, out.stderr);
  // mimalloc prints its options by name when it starts: the core set these before.
  assert.match(out.stderr, /mimalloc: process init/);
  assert.match(out.stderr, /option 'arena_eager_commit': 0/);
  assert.match(out.stderr, /option 'purge_delay': 0/);
});
