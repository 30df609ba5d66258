// Browser end-to-end test of the client billing portal.
//
// Starts the real portal server on a fresh SQLite database (which seeds the
// demo business "Northwind Studio" and its client "Acme Corporation"), then
// drives Debian's Chromium through Playwright:
//
// 1. The client journey: the magic link printed at start-up, the continue
//    page (no cookie before pressing the button), the overview (company,
//    outstanding invoices, total due, documents, no drafts), the session
//    cookie's flags, an invoice and an estimate, signing out, the used link
//    refusing to work again, asking for a new link by email, reading that
//    email from the mail folder and signing in with it.
// 2. Single use across devices: a link redeemed in one browser context shows
//    the dead-link page, and gives no session, in another.
// 3. Every page visited logs no console error, throws no script error, and
//    breaks no Content Security Policy rule; the policy does refuse an
//    inline style.
//
// Full-page screenshots of the overview and of an invoice, at desktop and
// phone width, land in e2e/artifacts/.
//
// Environment: PORTAL_E2E_SERVER (the server binary, default
// ../target/debug/portal-server from this folder), PORTAL_E2E_CHROMIUM
// (default /usr/bin/chromium).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const SERVER_BINARY = process.env.PORTAL_E2E_SERVER
  ? resolve(process.env.PORTAL_E2E_SERVER)
  : resolve(HERE, '../target/debug/portal-server');
const CHROMIUM = process.env.PORTAL_E2E_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = join(HERE, 'artifacts');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const CLIENT_EMAIL = 'ap@acme.example';
const LINK_PATTERN = /https?:\/\/[^\s"<>]+\/l\/[A-Za-z0-9_-]{43}/;
const SESSION_COOKIE = 'portal_session';
const STARTUP_TIMEOUT_MS = 30_000;
const MAIL_TIMEOUT_MS = 10_000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 740 };

// ---------------------------------------------------------------------------
// Server

/** A free TCP port on the loopback interface. */
async function freePort() {
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
 * Starts the portal server on a new database in `dir` and resolves once it
 * has printed the demo magic link. Returns the process, its base URL, the
 * link, the mail folder and a `stop()` that ends the process.
 */
async function startServer(dir) {
  if (!existsSync(SERVER_BINARY)) {
    throw new Error(
      `no server binary at ${SERVER_BINARY}: run \`cargo build -p portal-server\` ` +
        'or set PORTAL_E2E_SERVER',
    );
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const mailDir = join(dir, 'mail');
  const child = spawn(SERVER_BINARY, [], {
    env: {
      ...process.env,
      PORTAL_DATABASE_URL: `sqlite://${join(dir, 'portal.db')}`,
      PORTAL_BIND: `127.0.0.1:${port}`,
      PORTAL_MAIL_DIR: mailDir,
      PORTAL_LOG: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });

  const link = await new Promise((done, fail) => {
    const timer = setTimeout(
      () => finish(new Error(`no magic link within ${STARTUP_TIMEOUT_MS} ms`)),
      STARTUP_TIMEOUT_MS,
    );
    const onData = (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => /^\s+\S+\/l\/\S+\s*$/.test(l));
      const found = line?.match(LINK_PATTERN);
      if (found) finish(null, found[0]);
    };
    const onExit = (code, signal) =>
      finish(new Error(`server exited (code ${code}, signal ${signal}) before printing a link`));
    function finish(error, value) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.stdout.resume(); // keep draining so the server never blocks on a full pipe
      if (error) {
        child.kill('SIGKILL');
        error.message += `\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
        fail(error);
      } else {
        done(value);
      }
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });

  async function stop() {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), sleep(5_000, true, { ref: false })]);
    if (timedOut) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  return { baseUrl, link, mailDir, stop, logs: () => ({ stdout, stderr }) };
}

// ---------------------------------------------------------------------------
// Mail

/** Decodes a quoted-printable body: soft line breaks and `=XX` bytes. */
function decodeQuotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Decodes a single-part message body by its Content-Transfer-Encoding. */
function decode(body, transferEncoding = '') {
  switch (transferEncoding.trim().toLowerCase()) {
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

/** Splits a message (or a MIME part) into lower-cased headers and its body. */
function splitEntity(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

/**
 * The decoded text/plain content of an entity: the entity itself when it is
 * a single part, else its first text/plain part, looked for through nested
 * multiparts (HTML beside text, files beside both).
 */
function plainText({ headers, body }) {
  const type = (headers['content-type'] ?? 'text/plain').toLowerCase();
  if (!type.startsWith('multipart/')) {
    return type.startsWith('text/plain') ? decode(body, headers['content-transfer-encoding']) : undefined;
  }
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'])?.[1];
  if (!boundary) return undefined;
  for (const part of body.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break;
    const text = plainText(splitEntity(part.replace(/^\r?\n/, '')));
    if (text !== undefined) return text;
  }
  return undefined;
}

/** Parses an .eml file into lower-cased headers and its decoded text. */
async function readMail(file) {
  const entity = splitEntity(await readFile(file, 'utf8'));
  return { file, headers: entity.headers, text: plainText(entity) ?? '' };
}

/** The .eml files in the mail folder (none if it does not exist yet). */
async function mailFiles(mailDir) {
  const names = await readdir(mailDir).catch((error) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return names.filter((name) => name.endsWith('.eml')).sort().map((name) => join(mailDir, name));
}

/** Every email in the mail folder addressed to `to`, oldest first. */
async function mailsTo(mailDir, to) {
  const mails = await Promise.all((await mailFiles(mailDir)).map(readMail));
  return mails.filter((mail) => mail.headers.to?.includes(to));
}

/**
 * Waits for an email to `to` that is not among the files in `seen` and
 * carries a magic link; returns it with the link.
 */
async function waitForNewMail(mailDir, to, seen, timeoutMs = MAIL_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fresh = (await mailsTo(mailDir, to)).filter((mail) => !seen.has(mail.file));
    const mail = fresh.find((m) => LINK_PATTERN.test(m.text)); // a half-written file has no link yet
    if (mail) return { ...mail, link: mail.text.match(LINK_PATTERN)[0] };
    if (Date.now() > deadline) throw new Error(`no new email to ${to} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------
// Browser helpers

/**
 * Records what a page reports that a person would never see: console errors
 * (Chromium reports CSP violations there), uncaught script errors, failed
 * subresource requests and subresources answered with an error status.
 * Main-frame documents may answer 401/410 on purpose; their status is
 * asserted where they are opened.
 */
function watch(page, { problems }, label) {
  const documents = new Map(); // url -> status of main-frame documents
  page.on('response', (response) => {
    const request = response.request();
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
      documents.set(response.url(), response.status());
    } else if (response.status() >= 400) {
      problems.push(`${label}: ${response.status()} for ${response.url()}`);
    }
  });
  page.on('requestfailed', (request) => {
    problems.push(`${label}: request failed: ${request.url()} (${request.failure()?.errorText})`);
  });
  page.on('pageerror', (error) => problems.push(`${label}: page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const { url } = message.location();
    const isDocumentStatus =
      /^Failed to load resource: the server responded with a status of (401|410)\b/.test(message.text()) &&
      [401, 410].includes(documents.get(url));
    const entry = `${label}: console error at ${url}: ${message.text()}`;
    if (!isDocumentStatus) problems.push(entry);
  });
  return page;
}

/** The named cookie from a browser context, if any. */
async function cookie(context, name) {
  return (await context.cookies()).find((c) => c.name === name);
}

/** Parses "$9,207.50" into cents. */
function cents(money) {
  const match = money.match(/(-?)\$?([\d,]+)\.(\d{2})/);
  assert.ok(match, `not an amount: ${JSON.stringify(money)}`);
  return Number(`${match[1]}${match[2].replace(/,/g, '')}${match[3]}`);
}

async function expectHeading(page, text) {
  await page.getByRole('heading', { level: 1, name: text }).waitFor();
}

/** Full-page screenshots at desktop and phone width: artifacts/NAME.png and NAME-phone.png. */
async function screenshots(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const desktop = page.viewportSize();
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(desktop);
}

// ---------------------------------------------------------------------------
// Tests

describe('client billing portal in a browser', { timeout: 120_000 }, () => {
  let dir;
  let server;
  let browser;
  const seen = { problems: [] };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portal-e2e-'));
    server = await startServer(dir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: STARTUP_TIMEOUT_MS,
    });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh browser context (a separate device) with a watched page. */
  async function openDevice(label) {
    const context = await browser.newContext({ viewport: DESKTOP });
    context.setDefaultTimeout(10_000);
    const page = watch(await context.newPage(), seen, label);
    return { context, page };
  }

  test('a client follows the emailed link, reads invoices, signs out and asks for a new link', async () => {
    const { context, page } = await openDevice('client');
    try {
      // The link only shows a page; nothing is redeemed yet.
      const opened = await page.goto(server.link);
      assert.equal(opened.status(), 200);
      await expectHeading(page, 'Continue to your billing portal');
      assert.equal(await cookie(context, SESSION_COOKIE), undefined, 'no session before Continue');

      await page.getByRole('button', { name: 'Continue to your billing portal' }).click();
      await page.waitForURL((url) => url.pathname === '/portal');
      const token = server.link.split('/l/')[1];
      assert.equal(new URL(page.url()).search, '');
      assert.ok(!page.url().includes(token), 'no token left in the address bar');

      // The overview.
      await expectHeading(page, 'Acme Corporation');
      await page.getByRole('heading', { level: 2, name: 'Outstanding invoices' }).waitFor();
      const outstanding = page.locator('table').first();
      const overdue = outstanding.getByRole('row').filter({ hasText: 'INV-1001' });
      await overdue.getByText('Overdue', { exact: true }).waitFor();
      await outstanding.getByRole('link', { name: 'INV-1002' }).waitFor(); // the whole company's invoices
      const overdueAmount = cents(await overdue.locator('td.num').innerText());
      const totalDue = cents(await page.locator('.figure', { hasText: 'Total due' }).locator('strong').innerText());
      const amountsDue = await outstanding.locator('tbody tr td.num').allInnerTexts();
      assert.equal(amountsDue.length, 2, 'two open invoices');
      assert.equal(totalDue, amountsDue.map(cents).reduce((a, b) => a + b, 0), 'total due adds up');
      assert.ok(totalDue > 0);

      await page.getByRole('heading', { level: 2, name: 'Documents' }).waitFor();
      const documents = page.locator('table').nth(1);
      for (const number of ['EST-0042', 'INV-1003', 'CON-2026-07']) {
        await documents.getByRole('link', { name: number }).waitFor();
      }
      await documents.getByRole('row').filter({ hasText: 'INV-1003' }).getByText('Paid', { exact: true }).waitFor();
      // What the company paid: a cheque for INV-1003, half of INV-1001 by transfer.
      await page.getByRole('heading', { level: 2, name: 'Payment history' }).waitFor();
      const history = page.locator('table').nth(2);
      await history.getByRole('row').filter({ hasText: 'INV-1003' }).getByText('Check').waitFor();
      await history.getByRole('row').filter({ hasText: 'INV-1001' }).getByText('Bank transfer').waitFor();
      assert.ok(!(await page.content()).includes('INV-1004'), 'a draft never reaches the portal');
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await screenshots(page, 'overview');

      const session = await cookie(context, SESSION_COOKIE);
      assert.ok(session, 'a session cookie after Continue');
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
      assert.equal(session.path, '/');

      // An invoice.
      await overdue.getByRole('link', { name: 'INV-1001' }).click();
      await page.waitForURL((url) => /^\/portal\/documents\/[0-9a-f-]{36}$/.test(url.pathname));
      await expectHeading(page, /^Invoice INV-1001/);
      await page.locator('h1 .badge', { hasText: 'Overdue' }).waitFor();
      const lines = page.locator('table').first();
      await lines.getByRole('cell', { name: 'Website redesign, phase 1' }).waitFor();
      await lines.getByRole('cell', { name: 'Content migration' }).waitFor();
      const total = cents(await lines.locator('tfoot tr', { hasText: 'Total' }).locator('td.num').innerText());
      const figure = async (label) =>
        cents(await page.locator('dl.meta div', { has: page.getByText(label, { exact: true }) }).locator('dd').innerText());
      const paid = await figure('Amount paid');
      assert.ok(paid > 0, 'half of it was paid by bank transfer');
      assert.equal(await figure('Amount due'), overdueAmount, 'the overview shows what is still due');
      assert.equal(paid + overdueAmount, total, 'paid and due add up to the total');
      await page.getByRole('heading', { level: 2, name: 'Payments' }).waitFor();
      await screenshots(page, 'invoice');

      // Back, then the estimate.
      await page.getByRole('link', { name: '← All invoices and documents' }).click();
      await page.waitForURL((url) => url.pathname === '/portal');
      await documents.getByRole('link', { name: 'EST-0042' }).click();
      await expectHeading(page, /^Estimate EST-0042/);
      await page.getByText('Valid until', { exact: true }).waitFor();
      await page.getByRole('cell', { name: 'Mobile app prototype' }).waitFor();

      // Sign out: the session is gone for good.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL((url) => url.pathname === '/portal/signed-out');
      await expectHeading(page, 'You have signed out');
      assert.equal(await cookie(context, SESSION_COOKIE), undefined, 'cookie cleared on sign-out');
      const locked = await page.goto(`${server.baseUrl}/portal`);
      assert.equal(locked.status(), 401);
      await expectHeading(page, /^(Open your billing portal|Your session has ended)$/);
      assert.ok(!(await page.content()).includes('INV-1001'));

      // The used link offers a new one by email.
      const dead = await page.goto(server.link);
      assert.equal(dead.status(), 410);
      await expectHeading(page, "This link can't be used");
      assert.equal(await cookie(context, SESSION_COOKIE), undefined);
      const earlierMail = new Set(await mailFiles(server.mailDir));
      await page.getByLabel('Your email address').fill(CLIENT_EMAIL);
      await page.getByRole('button', { name: 'Email me a new link' }).click();
      await expectHeading(page, 'Check your email');
      await page.getByText(CLIENT_EMAIL, { exact: true }).waitFor();

      const mail = await waitForNewMail(server.mailDir, CLIENT_EMAIL, earlierMail);
      assert.match(mail.headers.subject, /billing portal link/i);
      assert.ok(mail.link.startsWith(`${server.baseUrl}/l/`), `link on this server: ${mail.link}`);
      assert.notEqual(mail.link, server.link, 'a fresh link');

      // The new link signs the client in again.
      await page.goto(mail.link);
      await expectHeading(page, 'Continue to your billing portal');
      await page.getByRole('button', { name: 'Continue to your billing portal' }).click();
      await page.waitForURL((url) => url.pathname === '/portal');
      await expectHeading(page, 'Acme Corporation');
      assert.ok(await cookie(context, SESSION_COOKIE), 'signed in again');
    } finally {
      await context.close();
    }
  });

  test('a link redeemed on one device is dead on another', async () => {
    // The invoice email the server sent at start-up carries a link to INV-1003.
    const sent = (await mailsTo(server.mailDir, CLIENT_EMAIL)).find((m) => m.headers.subject?.includes('INV-1003'));
    assert.ok(sent, 'the INV-1003 email was written at start-up');
    const link = sent.text.match(LINK_PATTERN)?.[0];
    assert.ok(link, 'the email carries a link');

    const laptop = await openDevice('laptop');
    const phone = await openDevice('phone');
    try {
      await laptop.page.goto(link);
      await laptop.page.getByRole('button', { name: 'Continue to your billing portal' }).click();
      await laptop.page.waitForURL((url) => url.pathname.startsWith('/portal/documents/'));
      await expectHeading(laptop.page, /^Invoice INV-1003/);
      await laptop.page.locator('h1 .badge', { hasText: 'Paid' }).waitFor();
      assert.ok(await cookie(laptop.context, SESSION_COOKIE));

      const dead = await phone.page.goto(link);
      assert.equal(dead.status(), 410);
      await expectHeading(phone.page, "This link can't be used");
      assert.equal(await phone.page.getByRole('button', { name: 'Continue to your billing portal' }).count(), 0);
      assert.equal(await cookie(phone.context, SESSION_COOKIE), undefined, 'no session on the second device');
      const overview = await phone.page.goto(`${server.baseUrl}/portal`);
      assert.equal(overview.status(), 401);
      await expectHeading(phone.page, 'Open your billing portal');

      // The first device is still signed in.
      const stillIn = await laptop.page.goto(`${server.baseUrl}/portal`);
      assert.equal(stillIn.status(), 200);
      await expectHeading(laptop.page, 'Acme Corporation');
    } finally {
      await laptop.context.close();
      await phone.context.close();
    }
  });

  test('pages log no errors and keep to the content security policy', async (t) => {
    assert.deepEqual(seen.problems, [], 'console errors, script errors or failed requests on visited pages');

    // The policy is enforced: an injected inline style is refused and reported.
    const { context, page } = await openDevice('probe');
    const refused = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/.test(message.text())) refused.push(message.text());
    });
    try {
      const response = await page.goto(`${server.baseUrl}/portal/signed-out`);
      assert.match(response.headers()['content-security-policy'] ?? '', /default-src 'none'/);
      const css = await page.evaluate(() => [...document.styleSheets].map((s) => s.href));
      assert.deepEqual(css, [`${server.baseUrl}/assets/portal.css`], 'only the portal stylesheet');
      await assert.rejects(page.addStyleTag({ content: 'body { background: red; }' }), /Content Security Policy/);
      for (let i = 0; i < 50 && refused.length === 0; i++) await sleep(20);
      assert.ok(refused.length > 0, 'the refusal is reported on the console');
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.notEqual(background, 'rgb(255, 0, 0)');
    } finally {
      seen.problems.length = 0; // the probe's refusal is expected
      await context.close();
    }
  });
});
