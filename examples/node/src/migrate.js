'use strict';
// Creates or updates the app's schema (sql/schema.sql, sql/bind.sql) as the app's role. chat itself is installed
// by a superuser beforehand (CREATE EXTENSION chat), who also lists the app's role in server_roles.
const fs = require('node:fs');
const path = require('node:path');
const { createPool } = require('./db');

// The schema, then the binding, each in a transaction of its own (sql/bind.sql says why).
async function migrate(pool) {
  for (const file of ['schema.sql', 'bind.sql']) {
    await pool.query(fs.readFileSync(path.join(__dirname, '..', 'sql', file), 'utf8'));
  }
}

if (require.main === module) {
  const pool = createPool({ max: 1 });
  migrate(pool)
    .then(() => console.log('schema ready'))
    .catch((err) => {
      console.error(`migrate: ${err.code ?? ''} ${err.message}`);
      process.exitCode = 1;
    })
    .finally(() => pool.end());
}

module.exports = { migrate };
