'use strict';
// Starts the relay (src/main.js) as a child process, the way it runs for real, so that a test can
// kill it (SIGKILL, no goodbye) and start it again on the same port. Each pid is appended to
// CHAT_REALTIME_RELAY_PIDS, which run-tests.sh reads to stop a relay this process left behind.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const MAIN = path.join(__dirname, '..', 'src', 'main.js');
const running = new Set();
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });

// -> { url, port, kill(), stop() } once the relay listens (port 0: a free one).
function startRelay(port = 0) {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  if (process.env.CHAT_REALTIME_RELAY_PIDS) fs.appendFileSync(process.env.CHAT_REALTIME_RELAY_PIDS, `${child.pid}\n`);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    running.delete(child);
    resolve(signal ?? code);
  }));
  child.stderr.on('data', (d) => process.stderr.write(d));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the relay did not start in 10 s: ${out}`)), 10000);
    child.on('exit', (code) => reject(new Error(`the relay exited (${code}): ${out}`)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      out += d;
      process.stderr.write(d);
      const m = /listening on (http:\/\/[^:\s]+:(\d+))/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          port: Number(m[2]),
          kill: () => { child.kill('SIGKILL'); return exited; },
          stop: () => { child.kill('SIGTERM'); return exited; },
        });
      }
    });
  });
}

module.exports = { startRelay };
