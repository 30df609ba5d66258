// Browser end-to-end test of paying invoices, through each processor the
// portal offers, each behind a local stand-in:
//
// 1. Stripe, on localstripe (its fake Stripe.js card Element): the demo
//    account is connected through the operator API, the client adds a
//    card on the saved-methods page, pays an invoice with it, sees it paid
//    and gets the receipt by email; a declined card says so and leaves
//    the other invoice unpaid.
// 2. Authorize.Net, on the fake gateway of `portal-stand-ins` and its
//    Accept.js: the same.
// 3. The demo's in-process test processor (no keys): a new card pays, a
//    declined card does not, and a 3-D Secure card pays once the
//    challenge is completed.
//
// Every page visited logs no console error, throws no script error, fails
// no request and breaks no Content Security Policy rule. Receipts are
// read from the stand-ins' SMTP sink. Screenshots of the card entry, pay
// and result pages land in e2e/artifacts/.
//
// Environment (`cargo xtask e2e` sets all three): PORTAL_E2E_SERVER (the
// server binary), PORTAL_E2E_STAND_INS (the stand-ins binary),
// PORTAL_E2E_LOCALSTRIPE (the virtual environment holding localstripe),
// PORTAL_E2E_CHROMIUM (default /usr/bin/chromium).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectHeading, launchBrowser, openDevice, screenshot } from './lib/browser.mjs';
import {
  CARDS,
  addCard,
  expectDeclined,
  expectPaid,
  isReceiptFor,
  openPayPage,
  signIn,
  submitPayment,
} from './lib/portal.mjs';
import {
  LOCALSTRIPE_SECRET_KEY,
  startLocalstripe,
  startServer,
  startStandIns,
  waitForMail,
} from './lib/processes.mjs';

const SUITE_TIMEOUT_MS = 180_000;

/** Letters only: no long digit runs in anything the portal stores. */
function randomLetters(length) {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return Array.from({ length }, () => letters[Math.floor(Math.random() * letters.length)]).join('');
}

/**
 * One processor's journey: a server of its own (a fresh demo) with `env`
 * added, connected to the processor by `connect` (the API body) unless
 * null, and a client signed in through the demo link. `charges`, when
 * given, answers the charges the stand-in made, as `{ amount, succeeded }`.
 * `shared` holds the stand-ins, localstripe and the browser.
 */
function journey(name, shared, { env = () => ({}), connect = null, charges = null } = {}) {
  const state = { problems: [], shared, charges };

  before(async () => {
    state.dir = await mkdtemp(join(tmpdir(), `portal-e2e-${name}-`));
    state.server = await startServer(state.dir, shared.standIns.smtp_url, env(state));
    const device = await openDevice(state.shared.browser, state.problems, name);
    state.context = device.context;
    state.page = device.page;
  });

  after(async () => {
    await state.context?.close().catch(() => {});
    await state.server?.stop();
    if (state.dir) await rm(state.dir, { recursive: true, force: true });
  });

  if (connect) {
    test('the operator connects the processor through the API', async () => {
      const body = connect(state);
      const connected = await state.server.api('PUT', '/api/crm/account/processor', body);
      assert.equal(connected.status, 200, JSON.stringify(connected.body));
      assert.equal(connected.body.status, 'connected', JSON.stringify(connected.body));
      assert.equal(connected.body.test_mode, true);
      const shown = JSON.stringify([connected.body, (await state.server.api('GET', '/api/crm/account/processor')).body]);
      for (const secret of [body.secret_key, body.webhook_secret, body.transaction_key, body.signature_key]) {
        if (secret) assert.ok(!shown.includes(secret), 'no secret in the answers');
      }
    });
  }

  test('the client signs in with the demo link', async () => {
    await signIn(state.page, state.server.link);
  });

  return state;
}

/** Pays `number` and checks the result, the invoice and the receipt. */
async function payAndCheck(state, number, how, name) {
  const { page, server, shared } = state;
  const invoice = await openPayPage(page, server.baseUrl, number);
  const seen = (await shared.standIns.mail()).length;
  await submitPayment(page, how, name);
  await expectPaid(page, invoice, name);
  if (state.charges) {
    const made = await state.charges();
    assert.ok(
      made.some((c) => c.succeeded && c.amount === invoice.total),
      `the processor charged ${invoice.total}: ${JSON.stringify(made)}`,
    );
  }
  const receipt = await waitForMail(shared.standIns, seen, isReceiptFor(invoice.total), `receipt for ${number}`);
  assert.ok(receipt.body.includes(number), `the receipt names ${number}:\n${receipt.body}`);
}

/** Pays `number` with a card that is declined, and checks nothing changed. */
async function declineAndCheck(state, number, processor, name) {
  const { page, server } = state;
  const invoice = await openPayPage(page, server.baseUrl, number);
  await submitPayment(page, { processor, card: CARDS.decline }, name);
  await expectDeclined(page, invoice, name);
  if (state.charges) {
    const made = await state.charges();
    assert.ok(
      !made.some((c) => c.succeeded && c.amount === invoice.total),
      `the processor charged nothing of ${invoice.total}: ${JSON.stringify(made)}`,
    );
  }
}

/** What localstripe charged. */
async function stripeCharges(localstripe) {
  const response = await fetch(`${localstripe.url}/v1/charges?limit=100`, {
    headers: { Authorization: `Bearer ${LOCALSTRIPE_SECRET_KEY}` },
  });
  assert.equal(response.status, 200);
  return (await response.json()).data.map((c) => ({ amount: c.amount, succeeded: c.status === 'succeeded' }));
}

/** What the Authorize.Net fake charged. */
async function authorizeNetCharges(anet) {
  const response = await fetch(`${anet.origin}/_fake/transactions`);
  assert.equal(response.status, 200);
  return (await response.json())
    .filter((t) => t.kind === 'authCaptureTransaction')
    .map((t) => ({ amount: t.amountMinor, succeeded: t.status !== 'declined' }));
}

function noProblems(state) {
  test('every page logged no error and kept to its content security policy', () => {
    assert.deepEqual(state.problems, [], state.server?.logs());
  });
}

describe('paying invoices in a browser', { timeout: 3 * SUITE_TIMEOUT_MS }, () => {
  const shared = {};

  before(async () => {
    shared.dir = await mkdtemp(join(tmpdir(), 'portal-e2e-stand-ins-'));
    shared.localstripe = await startLocalstripe(shared.dir);
    shared.standIns = await startStandIns(shared.localstripe);
    shared.browser = await launchBrowser();
  });

  after(async () => {
    await shared.browser?.close().catch(() => {});
    await shared.standIns?.stop();
    await shared.localstripe?.stop();
    if (shared.dir) await rm(shared.dir, { recursive: true, force: true });
  });

  describe('through Stripe (localstripe)', { timeout: SUITE_TIMEOUT_MS }, () => {
    const state = journey('stripe', shared, {
      env: () => ({
        // The server through the stand-ins' proxy; the browser straight
        // to localstripe's Stripe.js.
        PORTAL_STRIPE_API_URL: shared.standIns.stripe.api_url,
        PORTAL_STRIPE_JS_URL: `${shared.localstripe.url}/js.stripe.com/v3/`,
      }),
      connect: () => ({
        kind: 'stripe',
        secret_key: `sk_test_${randomLetters(24)}`,
        publishable_key: `pk_test_${randomLetters(24)}`,
        webhook_secret: `whsec_${randomLetters(32)}`,
      }),
      charges: () => stripeCharges(shared.localstripe),
    });

    test('a card added through Stripe.js is listed with its brand and last four', async () => {
      const methods = await addCard(state.page, 'stripe', CARDS.success, 'stripe');
      assert.equal(methods.length, 1, JSON.stringify(methods));
      assert.match(methods[0], /Visa •••• 4242/);
    });

    test('the saved card pays an invoice, which shows paid, and the receipt is emailed', async () => {
      await payAndCheck(state, 'INV-1002', { saved: /Visa •••• 4242/ }, 'stripe');
    });

    test('a declined card says so and leaves the invoice unpaid', async () => {
      await declineAndCheck(state, 'INV-1001', 'stripe', 'stripe');
    });

    noProblems(state);
  });

  describe('through Authorize.Net (the fake gateway and its Accept.js)', { timeout: SUITE_TIMEOUT_MS }, () => {
    const state = journey('authorize-net', shared, {
      env: () => ({
        PORTAL_AUTHORIZENET_API_URL: shared.standIns.authorize_net.api_url,
        PORTAL_ACCEPT_JS_URL: shared.standIns.authorize_net.accept_js_url,
      }),
      connect: () => {
        const anet = shared.standIns.authorize_net;
        return {
          kind: 'authorize_net',
          api_login_id: anet.api_login_id,
          transaction_key: anet.transaction_key,
          client_key: anet.client_key,
          signature_key: anet.signature_key,
          environment: 'sandbox',
        };
      },
      charges: () => authorizeNetCharges(shared.standIns.authorize_net),
    });

    test('a card added through Accept.js is listed with its brand and last four', async () => {
      const methods = await addCard(state.page, 'authorize_net', CARDS.success, 'authorize-net');
      assert.equal(methods.length, 1, JSON.stringify(methods));
      assert.match(methods[0], /Visa •••• 4242/);
    });

    test('the saved card pays an invoice, which shows paid, and the receipt is emailed', async () => {
      await payAndCheck(state, 'INV-1002', { saved: /Visa •••• 4242/ }, 'authorize-net');
    });

    test('a declined card says so and leaves the invoice unpaid', async () => {
      await declineAndCheck(state, 'INV-1001', 'authorize_net', 'authorize-net');
    });

    noProblems(state);
  });

  describe("through the demo's test processor", { timeout: SUITE_TIMEOUT_MS }, () => {
    const state = journey('test-processor', shared);

    test('a new test card pays an invoice, which shows paid, and the receipt is emailed', async () => {
      await state.page.locator('#test-mode').first().waitFor();
      await payAndCheck(state, 'INV-1002', { processor: 'test', card: CARDS.success }, 'test-processor');
    });

    test('a declined test card says so and leaves the invoice unpaid', async () => {
      await declineAndCheck(state, 'INV-1001', 'test', 'test-processor');
    });

    test('a 3-D Secure card pays once the challenge is completed', async () => {
      const { page, server, shared: { standIns } } = state;
      const invoice = await openPayPage(page, server.baseUrl, 'INV-1001');
      const seen = (await standIns.mail()).length;
      await submitPayment(page, { processor: 'test', card: CARDS.threeDSecure }, 'test-processor-3ds');
      await expectHeading(page, 'Confirm the payment with your bank');
      await page.locator('#test-challenge').waitFor();
      await screenshot(page, 'test-processor-3ds-challenge');
      await page.locator('#complete-authentication').click();
      await expectPaid(page, invoice, 'test-processor-3ds');
      await waitForMail(standIns, seen, isReceiptFor(invoice.total), 'receipt for INV-1001');
    });

    noProblems(state);
  });
});
