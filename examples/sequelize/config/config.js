// The connection, from the environment main.js sets for the throwaway PostgreSQL
// (a unix socket directory as host).
'use strict';
const connection = {
  dialect: 'postgres',
  host: process.env.PGHOST,
  port: Number(process.env.PGPORT || 5432),
  username: process.env.PGUSER || 'postgres',
  database: process.env.PGDATABASE || 'app',
  logging: false,
};
module.exports = { development: connection, test: connection };
