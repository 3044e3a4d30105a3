'use strict';
// The relay's HTTP side, on node's built-in http module: the page (public/), its event stream
// (GET /events?user=N, Server-Sent Events) and its JSON API (/api/..., see api.js).
//
// DEMO ONLY: `?user=N` is trusted as is. A real application authenticates its users and takes
// the user id from that, for the event stream as for the API.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { match, id, statusOf } = require('./api');

const PUBLIC = path.join(__dirname, '..', 'public');
const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

function readBody(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      text += chunk;
      if (text.length > 100000) reject(Object.assign(new Error('body too large'), { status: 413 }));
    });
    req.on('end', () => {
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch {
        reject(Object.assign(new Error('the body is not JSON'), { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

function send(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

// createServer({ pool, hub, log }) -> http.Server
function createServer({ pool, hub, log = () => {} }) {
  return http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://relay');
    try {
      if (req.method === 'GET' && STATIC[url.pathname]) {
        const [file, type] = STATIC[url.pathname];
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(await fs.promises.readFile(path.join(PUBLIC, file)));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'GET' && url.pathname === '/events') {
        hub.subscribe(id(url.searchParams.get('user'), 'user'), req, res);
        return;
      }
      const found = match(req.method, url.pathname);
      if (!found) {
        send(res, 404, { error: { message: 'no such route' } });
        return;
      }
      const [handler, params] = found;
      const me = id(url.searchParams.get('user'), 'user');
      const body = req.method === 'GET' ? {} : await readBody(req);
      const result = await handler({ pool, me, params, query: Object.fromEntries(url.searchParams), body });
      send(res, 200, result && result.raw !== undefined ? result.raw : result);
    } catch (err) {
      const status = statusOf(err);
      if (status >= 500) log(`${req.method} ${url.pathname}: ${err.code ?? ''} ${err.message}`);
      send(res, status, { error: { code: err.code ?? null, message: status >= 500 ? 'internal error' : err.message } });
    }
  });
}

module.exports = { createServer };
