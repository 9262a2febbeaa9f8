// Every error is a PgPolicyError subclass carrying code, table, policy and clause.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { DataTypes } = require('sequelize');
const pgpolicy = require('..');
const { PgPolicyError, ValidationError, SourceError, DatabaseError } = pgpolicy;
const { definePolicies, declareRoles, generateMigration } = require('../sequelize');
const { pg, freshDatabase, sequelizeFor, stop } = require('./helpers');

test.after(stop);

function schemaWith(policy, extra = {}) {
  return { tables: { docs: { columns: { id: { type: 'integer' } }, rlsEnabled: true, policies: [policy] } }, ...extra };
}

const cases = [
  {
    what: 'an INSERT policy with USING',
    policy: { name: 'ins', command: 'INSERT', using: 'true' },
    code: 'INSERT_WITH_USING',
    clause: 'USING',
    message: 'table public.docs, policy "ins", clause USING: an INSERT policy takes only WITH CHECK, not USING',
  },
  {
    what: 'a SELECT policy with WITH CHECK',
    policy: { name: 'sel', command: 'SELECT', using: 'true', withCheck: 'true' },
    code: 'SELECT_WITH_CHECK',
    clause: 'WITH_CHECK',
    message: 'table public.docs, policy "sel", clause WITH CHECK: a SELECT policy takes only USING, not WITH CHECK',
  },
  {
    what: 'a DELETE policy with WITH CHECK',
    policy: { name: 'del', command: 'DELETE', withCheck: 'true' },
    code: 'DELETE_WITH_CHECK',
    clause: 'WITH_CHECK',
    message: 'table public.docs, policy "del", clause WITH CHECK: a DELETE policy takes only USING, not WITH CHECK',
  },
  {
    what: 'SQL after the expression',
    policy: { name: 'inj', using: 'true); DROP TABLE docs; --' },
    code: 'INVALID_EXPRESSION',
    clause: 'USING',
    message: 'table public.docs, policy "inj", clause USING: must be exactly one SQL expression, but text follows it at )',
  },
  {
    what: 'an unknown command',
    policy: { name: 'ups', command: 'UPSERT', using: 'true' },
    code: 'UNKNOWN_COMMAND',
    clause: 'COMMAND',
    message: 'table public.docs, policy "ups", clause command: unknown command "UPSERT" (expected ALL, SELECT, INSERT, UPDATE or DELETE)',
  },
  {
    what: 'PUBLIC beside other roles',
    policy: { name: 'pub', roles: ['PUBLIC', 'app_user'], using: 'true' },
    code: 'PUBLIC_WITH_ROLES',
    clause: 'ROLES',
    message: 'table public.docs, policy "pub", clause roles: PUBLIC already includes every role; list it alone',
  },
  {
    what: 'a role not among the declared ones',
    policy: { name: 'ghost', roles: ['ghost'], using: 'true' },
    extra: { roles: [{ name: 'app_user' }] },
    code: 'UNKNOWN_ROLE',
    clause: 'ROLES',
    message: 'table public.docs, policy "ghost", clause roles: role "ghost" is not among the declared roles',
  },
  {
    what: 'a policy name over 63 bytes',
    policy: { name: 'p'.repeat(64), using: 'true' },
    code: 'IDENTIFIER_TOO_LONG',
    clause: 'NAME',
    message: `table public.docs, policy "${'p'.repeat(64)}", clause name: policy name "${'p'.repeat(64)}" is 64 bytes long; PostgreSQL identifiers are at most 63 bytes`,
  },
];

for (const c of cases) {
  test(`diff rejects ${c.what}`, () => {
    assert.throws(
      () => pgpolicy.diff({ tables: {} }, schemaWith(c.policy, c.extra)),
      (e) => {
        assert.ok(e instanceof ValidationError);
        assert.ok(e instanceof PgPolicyError);
        assert.ok(e instanceof Error);
        assert.equal(e.name, 'ValidationError');
        assert.equal(e.code, c.code);
        assert.equal(e.table, 'public.docs');
        assert.equal(e.policy, c.policy.name);
        assert.equal(e.clause, c.clause);
        assert.equal(e.message, c.message);
        assert.equal(e.errors.length, 1);
        return true;
      }
    );
  });
}

test('duplicate policy names', () => {
  const schema = { tables: { docs: { policies: [{ name: 'p', using: 'true' }, { name: 'p', using: 'false' }] } } };
  assert.throws(() => pgpolicy.diff({ tables: {} }, schema), {
    name: 'ValidationError',
    code: 'DUPLICATE_POLICY',
    table: 'public.docs',
    policy: 'p',
    clause: 'NAME',
    message: 'table public.docs, policy "p", clause name: policy names must be unique per table; this name is used twice',
  });
});

test('every validation error is reported, in declaration order', () => {
  const schema = {
    tables: {
      docs: {
        policies: [
          { name: 'a', command: 'INSERT', using: 'true' },
          { name: 'b', command: 'SELECT', withCheck: 'true' },
        ],
      },
    },
  };
  assert.throws(() => pgpolicy.parseSchema(schema), (e) => {
    assert.equal(e.code, 'INSERT_WITH_USING');
    assert.equal(e.policy, 'a');
    assert.deepEqual(e.errors.map((x) => [x.code, x.policy, x.clause]), [
      ['INSERT_WITH_USING', 'a', 'USING'],
      ['SELECT_WITH_CHECK', 'b', 'WITH_CHECK'],
    ]);
    assert.equal(e.message.split('\n').length, 2);
    return true;
  });
  assert.deepEqual(pgpolicy.check(schema).map((x) => x.code), ['INSERT_WITH_USING', 'SELECT_WITH_CHECK']);
  assert.deepEqual(pgpolicy.check({ tables: {} }), []);
});

test('unreadable JSON is a SourceError', () => {
  assert.throws(() => pgpolicy.diff('{', { tables: {} }), {
    name: 'SourceError',
    code: 'SOURCE',
    policy: null,
    message: 'invalid schema JSON: EOF while parsing an object at line 1 column 1',
  });
  assert.throws(() => pgpolicy.diff(null, {}), TypeError);
});

test('a policy declared beside a Sequelize model fails generateMigration with its fields', async () => {
  const db = freshDatabase('errors');
  const sequelize = sequelizeFor(db);
  const User = sequelize.define('User', { name: DataTypes.STRING });
  await sequelize.sync();
  definePolicies(User, { policies: [{ name: 'user_insert', command: 'INSERT', using: 'true' }] });
  await assert.rejects(generateMigration({ sequelize, migrationsPath: '/nonexistent-never-written' }), {
    name: 'ValidationError',
    code: 'INSERT_WITH_USING',
    table: 'public.Users',
    policy: 'user_insert',
    clause: 'USING',
    message: 'table public.Users, policy "user_insert", clause USING: an INSERT policy takes only WITH CHECK, not USING',
  });
  declareRoles(sequelize, ['app_user']);
  definePolicies(User, { policies: [{ name: 'for_ghost', roles: ['ghost'], using: 'true' }] });
  await assert.rejects(sequelize.sync(), {
    name: 'ValidationError',
    code: 'UNKNOWN_ROLE',
    policy: 'for_ghost',
    message: 'table public.Users, policy "for_ghost", clause roles: role "ghost" is not among the declared roles',
  });
  await sequelize.close();
});

test('a plan PostgreSQL rejects is a DatabaseError and applies nothing', async () => {
  const db = freshDatabase('errors');
  const url = pg().url(db);
  pg().psql(db, 'CREATE TABLE docs (id integer)');
  const schema = {
    tables: {
      docs: {
        rlsEnabled: true,
        policies: [
          { name: 'fine', using: 'id > 0' },
          { name: 'broken', using: 'no_such_column = 1' },
        ],
      },
    },
  };
  await assert.rejects(pgpolicy.apply(url, schema), (e) => {
    assert.ok(e instanceof DatabaseError);
    assert.equal(e.code, 'DATABASE');
    assert.equal(e.policy, null);
    assert.match(e.message, /^apply failed \(nothing was applied\) at `CREATE POLICY broken ON public\.docs .*`: ERROR: column "no_such_column" does not exist \(SQLSTATE 42703\)$/);
    return true;
  });
  const state = await pgpolicy.introspect(url);
  assert.deepEqual(state.tables[0].policies, []);
  assert.equal(state.tables[0].rls.enabled, false);
});

test('a database that cannot be reached is a DatabaseError', async () => {
  await assert.rejects(pgpolicy.introspect(`postgresql://postgres@/nope?host=${pg().socketDir}&port=5432`), {
    name: 'DatabaseError',
    code: 'DATABASE',
    message: /^cannot connect to socket .*\/\.s\.PGSQL\.5432: FATAL: database "nope" does not exist$/,
  });
  await assert.rejects(pgpolicy.apply('not a url', { tables: {} }), { name: 'DatabaseError', code: 'DATABASE' });
});

test('a missing SQL file is a SourceError', () => {
  assert.throws(() => pgpolicy.fromSqlFile('/nonexistent/schema.sql'), (e) => {
    assert.ok(e instanceof PgPolicyError);
    assert.ok(['SOURCE', 'IO'].includes(e.code));
    assert.match(e.message, /\/nonexistent\/schema\.sql/);
    return true;
  });
});
