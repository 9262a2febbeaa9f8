// Declarations compile to what was meant: a column the model does not have is a
// ValidationError when the schema is read from the models, with a "did you mean".
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Sequelize, DataTypes } = require('sequelize');
const { definePolicies, schemaFromSequelize } = require('../sequelize');
const { ValidationError, checkColumns } = require('..');

function model(using) {
  const sequelize = new Sequelize('postgres://localhost/none', { logging: false });
  const User = sequelize.define('User', { name: DataTypes.STRING, tenantId: DataTypes.INTEGER });
  definePolicies(User, { policies: [{ name: 'tenant_isolation', using }] });
  return sequelize;
}

test('an unquoted camelCase column gets the quoting hint', () => {
  const sequelize = model(`tenantId = current_setting('app.current_tenant')::integer`);
  assert.throws(
    () => schemaFromSequelize(sequelize),
    (e) => {
      assert.ok(e instanceof ValidationError, String(e));
      assert.equal(e.code, 'UNKNOWN_COLUMN');
      assert.equal(e.policy, 'tenant_isolation');
      assert.match(e.message, /column tenantid does not exist in table public\.Users; did you mean "tenantId"\?/);
      assert.match(e.message, /double quotes/);
      return true;
    }
  );
});

test('a typo gets the nearest column; quoted names pass', () => {
  assert.throws(() => schemaFromSequelize(model(`"tenantIdd" = 1`)), /did you mean "tenantId"\?/);
  const schema = schemaFromSequelize(model(`"tenantId" = current_setting('app.current_tenant')::integer`));
  assert.equal(schema.tables[0].policies.length, 1);
  // Tables without declared columns are not checked.
  checkColumns({ tables: [{ schema: 'public', name: 't', columns: [], policies: [{ name: 'p', using: 'whatever = 1' }] }] });
});
