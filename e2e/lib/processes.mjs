// The processes a payments test runs beside the browser: the portal server
// (on a fresh SQLite database, with the demo seeded), the stand-ins
// (`portal-stand-ins`: an SMTP sink and the Authorize.Net fake) and
// localstripe (the fake Stripe API and Stripe.js). Each starts on free
// 127.0.0.1 ports, is waited for with a deadline, and is stopped by
// `stop()`, or killed if the test process exits first.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TARGET = resolve(HERE, '../../target');
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export const SERVER_BINARY = process.env.PORTAL_E2E_SERVER
  ? resolve(process.env.PORTAL_E2E_SERVER)
  : join(TARGET, 'debug/portal-server');
export const STAND_INS_BINARY = process.env.PORTAL_E2E_STAND_INS
  ? resolve(process.env.PORTAL_E2E_STAND_INS)
  : join(TARGET, 'debug/portal-stand-ins');

/**
 * The virtual environment holding the pinned localstripe:
 * PORTAL_E2E_LOCALSTRIPE, else the one `cargo xtask localstripe` made
 * under ../target.
 */
export function localstripeVenv() {
  if (process.env.PORTAL_E2E_LOCALSTRIPE) return resolve(process.env.PORTAL_E2E_LOCALSTRIPE);
  const found = existsSync(TARGET)
    ? readdirSync(TARGET).filter((name) => /^localstripe-venv-[0-9a-f]{16}$/.test(name))
    : [];
  return found.length === 1 ? join(TARGET, found[0]) : undefined;
}

/** A free TCP port on the loopback interface. */
export async function freePort() {
  const server = createServer();
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * Spawns `command` and collects its output; `stop()` sends SIGTERM (or
 * closes standard input, for the stand-ins) and kills it if it has not
 * exited within a few seconds.
 */
function launch(label, command, args, options) {
  const child = spawn(command, args, options);
  const output = { stdout: '', stderr: '' };
  for (const stream of ['stdout', 'stderr']) {
    child[stream]?.setEncoding('utf8');
    child[stream]?.on('data', (chunk) => {
      output[stream] += chunk;
    });
  }
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));

  async function stop() {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      child.kill('SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_TIMEOUT_MS, true, { ref: false })]);
      if (timedOut) child.kill('SIGKILL');
    }
    await exited;
  }

  /** Resolves with `found(output)` once it is truthy; fails on exit or after the deadline. */
  async function waitFor(what, found, timeoutMs = STARTUP_TIMEOUT_MS) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await found(output);
      if (value) return value;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before ${what}${describe()}`);
      }
      if (Date.now() > deadline) throw new Error(`${label}: no ${what} within ${timeoutMs} ms${describe()}`);
      await sleep(50);
    }
  }

  function describe() {
    return `\n--- ${label} stdout ---\n${output.stdout}\n--- ${label} stderr ---\n${output.stderr}`;
  }

  return { child, output, stop, waitFor, describe };
}

function required(path, what, hint) {
  if (!path || !existsSync(path)) {
    throw new Error(`no ${what} at ${path ?? '(not found)'}: ${hint}`);
  }
}

/**
 * Starts the stand-ins, with a proxy for the portal server in front of
 * `localstripe` (whose fields localstripe does not know yet it drops);
 * resolves with what they printed: `smtp_url`, `mail_url`,
 * `authorize_net` (origin, api_url, accept_js_url and the fake's
 * credentials), `stripe.api_url`, plus `mail()` and `stop()`.
 */
export async function startStandIns(localstripe) {
  required(STAND_INS_BINARY, 'stand-ins binary', 'run `cargo xtask e2e`, or set PORTAL_E2E_STAND_INS');
  const args = localstripe ? ['--stripe-upstream', new URL(localstripe.url).host] : [];
  const process_ = launch('portal-stand-ins', STAND_INS_BINARY, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const ready = await process_.waitFor('ready line', ({ stdout }) => {
    const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1);
    const line = complete.split('\n').find((l) => l.startsWith('{'));
    return line ? JSON.parse(line) : undefined;
  }).catch(async (error) => {
    await process_.stop();
    throw error;
  });

  /** Every message the SMTP sink received, oldest first. */
  async function mail() {
    const response = await fetch(ready.mail_url);
    if (!response.ok) throw new Error(`the mail endpoint answered ${response.status}`);
    return response.json();
  }

  return { ...ready, mail, stop: process_.stop };
}

/**
 * Waits until a message received after the first `seen` matches `test`;
 * resolves with it.
 */
export async function waitForMail(standIns, seen, test, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await standIns.mail()).slice(seen).find(test);
    if (found) return found;
    if (Date.now() > deadline) {
      const subjects = (await standIns.mail()).slice(seen).map((m) => m.subject);
      throw new Error(`no ${what} at the SMTP sink within ${timeoutMs} ms (got ${JSON.stringify(subjects)})`);
    }
    await sleep(100);
  }
}

/**
 * Runs the server in memory only (localstripe otherwise pickles its whole
 * state into a file in the temporary folder after every change, shared
 * by every localstripe on the machine) and stops it when its standard
 * input closes, as the Rust tests' launcher does.
 */
const LOCALSTRIPE_LAUNCHER = `
import os, sys, threading
def watch():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
import localstripe.resources
localstripe.resources.Store.dump_to_disk = lambda self: None
from localstripe.server import start
start()
`;

/** The key localstripe is asked with: it takes any `sk_` key. */
export const LOCALSTRIPE_SECRET_KEY = 'sk_test_portalbrowsertest';

/** Starts localstripe on a free port; resolves with its `url` and `stop()`. */
export async function startLocalstripe(dir) {
  const venv = localstripeVenv();
  const python = venv && join(venv, 'bin/python');
  required(python, 'localstripe', 'run `cargo xtask localstripe`, or set PORTAL_E2E_LOCALSTRIPE to its virtual environment');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process_ = launch(
    'localstripe',
    python,
    ['-c', LOCALSTRIPE_LAUNCHER, '--port', String(port), '--from-scratch'],
    { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  await process_.waitFor('answer', async () => {
    try {
      const response = await fetch(`${url}/v1/customers?limit=1`, {
        headers: { Authorization: `Bearer ${LOCALSTRIPE_SECRET_KEY}` },
        signal: AbortSignal.timeout(2_000),
      });
      return response.status === 200;
    } catch {
      return false;
    }
  }).catch(async (error) => {
    await process_.stop();
    throw error;
  });
  return { url, stop: process_.stop, output: process_.output };
}

/**
 * Starts the portal server on a new database in `dir`, with `env` added,
 * and resolves once it printed the demo's operator API key and magic link.
 * Mail goes to `smtpUrl`.
 */
export async function startServer(dir, smtpUrl, env = {}) {
  required(SERVER_BINARY, 'server binary', 'run `cargo xtask e2e`, or set PORTAL_E2E_SERVER');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const process_ = launch('portal-server', SERVER_BINARY, [], {
    env: {
      ...process.env,
      PORTAL_DATABASE_URL: `sqlite://${join(dir, 'portal.db')}`,
      PORTAL_BIND: `127.0.0.1:${port}`,
      PORTAL_PUBLIC_URL: baseUrl,
      PORTAL_SECRET_KEY_FILE: join(dir, 'secret.key'),
      PORTAL_SMTP_URL: smtpUrl,
      PORTAL_MAIL_FROM: 'billing@northwind.example',
      PORTAL_OUTBOX_POLL_MS: '50',
      PORTAL_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = await process_.waitFor('demo link', ({ stdout }) => {
    const apiKey = /Operator API key of the demo account \(shown once\): (\S+)/.exec(stdout)?.[1];
    const link = stdout
      .split('\n')
      .map((line) => /^\s+(https?:\/\/\S+\/l\/[A-Za-z0-9_-]{43})\s*$/.exec(line)?.[1])
      .find(Boolean);
    return apiKey && link ? { apiKey, link } : undefined;
  }).catch(async (error) => {
    await process_.stop();
    throw error;
  });

  /** Calls the operator API as the demo account. */
  async function api(method, path, body) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${started.apiKey}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, body: json };
  }

  return { baseUrl, ...started, api, stop: process_.stop, logs: () => process_.describe() };
}
