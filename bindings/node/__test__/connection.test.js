'use strict';
// The URL pgpolicy connects with, from a Sequelize instance's options (no connection made).

const test = require('node:test');
const assert = require('node:assert/strict');
const { Sequelize } = require('sequelize');
const { connectionUrl } = require('../sequelize');

function url(options) {
  const s = new Sequelize({ dialect: 'postgres', database: 'app', username: 'me', password: 'p@ss', logging: false, ...options });
  return connectionUrl(s);
}

test('unix socket directories stay sockets', () => {
  assert.equal(url({ host: '/tmp/pg dir', port: 5433 }), 'postgresql://me:p%40ss@/app?host=/tmp/pg%20dir&port=5433');
});

test('TCP hosts carry the sslmode Sequelize asks for', () => {
  assert.equal(url({ host: 'db.internal' }), 'postgresql://me:p%40ss@db.internal:5432/app?sslmode=prefer');
  assert.equal(url({ host: 'db.internal', dialectOptions: { ssl: { rejectUnauthorized: false } } }), 'postgresql://me:p%40ss@db.internal:5432/app?sslmode=require');
  assert.equal(url({ host: 'db.internal', dialectOptions: { ssl: true } }), 'postgresql://me:p%40ss@db.internal:5432/app?sslmode=verify-full');
  assert.equal(url({ host: '::1', port: 6543, ssl: true }), 'postgresql://me:p%40ss@[::1]:6543/app?sslmode=verify-full');
});
