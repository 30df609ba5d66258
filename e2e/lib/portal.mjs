// What a client does in the portal's payment pages, step by step, for the
// payments test: sign in, add a card, open an invoice's pay page, pay,
// and read the outcome. The card goes into the processor's own element
// (localstripe's fake Stripe.js) or into the portal's card fields, which
// hand it to Accept.js or the test processor's script; only a token ever
// reaches the portal.

import assert from 'node:assert/strict';
import { cents, expectHeading, screenshot } from './browser.mjs';

/** Test card numbers, written as printed on a card. */
export const CARDS = {
  success: '4242 4242 4242 4242',
  decline: '4000 0000 0000 0341',
  threeDSecure: '4000 0027 6000 3184',
};

/** Opens the magic link and presses Continue. */
export async function signIn(page, link) {
  await page.goto(link);
  await page.getByRole('button', { name: 'Continue to your billing portal' }).click();
  await page.waitForURL((url) => url.pathname === '/portal');
  await expectHeading(page, 'Acme Corporation');
}

/**
 * Types `card` into the page's new-card element: localstripe's fake card
 * Element for Stripe (its inputs are named by placeholder), else the
 * portal's own fields.
 */
export async function fillCard(page, processor, card) {
  if (processor === 'stripe') {
    const element = page.locator('#card-element');
    await element.locator('input[placeholder="number"]').fill(card.replace(/ /g, ''));
    await element.locator('input[placeholder="exp_month"]').fill('12');
    await element.locator('input[placeholder="exp_year"]').fill('34');
    await element.locator('input[placeholder="cvc"]').fill('123');
    await element.locator('input[placeholder="postal_code"]').fill('94107');
  } else {
    await page.locator('#card-number').fill(card);
    await page.locator('#card-expiry').fill('12 / 34');
    await page.locator('#card-cvc').fill('123');
  }
}

/**
 * Saved methods → Add a payment method → the card → Save card; answers
 * the saved methods as listed afterwards.
 */
export async function addCard(page, processor, card, name) {
  await page.locator('#nav-methods').click();
  await page.waitForURL((url) => url.pathname === '/portal/methods');
  await expectHeading(page, 'Payment methods');
  await page.locator('#add-method').click();
  await page.waitForURL((url) => url.pathname === '/portal/methods/new');
  await expectHeading(page, 'Add a payment method');
  await fillCard(page, processor, card);
  await screenshot(page, `${name}-add-card`);
  await page.locator('#add-submit').click();
  await page.waitForURL((url) => url.pathname === '/portal/methods' && url.searchParams.has('added'), {
    timeout: 30_000,
  });
  await page.locator('#notice', { hasText: 'Your payment method was saved.' }).waitFor();
  await screenshot(page, `${name}-methods`);
  return page.locator('#methods li.method').allInnerTexts();
}

/**
 * From the overview, opens invoice `number` and presses Pay now; answers
 * the invoice's address and the amount the pay page asks for, in cents.
 */
export async function openPayPage(page, baseUrl, number) {
  await page.goto(`${baseUrl}/portal`);
  await page.locator('table').first().getByRole('link', { name: number, exact: true }).click();
  await expectHeading(page, new RegExp(`^Invoice ${number}`));
  const invoiceUrl = page.url();
  const due = await amountDue(page);
  await page.locator('#pay-now').click();
  await page.waitForURL((url) => url.pathname === '/portal/pay');
  await expectHeading(page, `Pay invoice ${number}`);
  const total = cents(await page.locator('#pay-total').innerText());
  assert.equal(total, due, 'the pay page asks for what is due');
  return { invoiceUrl, total };
}

/** The "Amount due" of the invoice page shown. */
export async function amountDue(page) {
  const row = page.locator('dl.meta div', { has: page.getByText('Amount due', { exact: true }) });
  return cents(await row.locator('dd').innerText());
}

/**
 * On the pay page: chooses the saved method labelled `saved`, or a new
 * `card`; takes a screenshot; presses Pay.
 */
export async function submitPayment(page, { saved, processor, card }, name) {
  if (saved) {
    await page.getByRole('radio', { name: saved }).check();
    assert.ok(await page.locator('#new-card').isHidden(), 'no card entry for a saved method');
  } else {
    const choice = page.locator('#method-new');
    if ((await choice.count()) > 0) await choice.check();
    await page.locator('#new-card').waitFor({ state: 'visible' });
    await fillCard(page, processor, card);
  }
  await screenshot(page, `${name}-pay`);
  await page.locator('#pay-submit').click();
}

/** The result page says paid, and so does the invoice. */
export async function expectPaid(page, { invoiceUrl, total }, name) {
  await page.waitForURL((url) => url.pathname.startsWith('/portal/payments/'), { timeout: 30_000 });
  await expectHeading(page, 'Payment received');
  const said = await page.locator('#payment-succeeded').innerText();
  assert.ok(said.includes('went through'), said);
  assert.equal(cents(await page.locator('#payment-amount').innerText()), total);
  await screenshot(page, `${name}-result`);
  await page.locator('#payment-succeeded').getByRole('link', { name: 'the invoice' }).click();
  await page.waitForURL(invoiceUrl);
  await page.locator('h1 .badge', { hasText: 'Paid' }).waitFor();
  assert.equal(await amountDue(page), 0);
  assert.equal(await page.locator('#pay-now').count(), 0, 'nothing left to pay');
}

/** The result page says declined, and the invoice is as it was. */
export async function expectDeclined(page, { invoiceUrl, total }, name) {
  await page.waitForURL((url) => url.pathname.startsWith('/portal/payments/'), { timeout: 30_000 });
  await expectHeading(page, 'The payment did not go through');
  const message = await page.locator('#payment-failed').innerText();
  assert.match(message, /declined/i);
  await page.getByText('Nothing was charged, and your invoice is unchanged.').waitFor();
  await page.locator('#try-again').waitFor();
  await screenshot(page, `${name}-declined`);
  await page.goto(invoiceUrl);
  assert.equal(await page.locator('h1 .badge', { hasText: 'Paid' }).count(), 0);
  assert.equal(await amountDue(page), total, 'nothing was paid');
  await page.locator('#pay-now').waitFor();
  return message;
}

/** A receipt email whose subject names `total` (in cents). */
export function isReceiptFor(total) {
  const amount = `$${Math.floor(total / 100).toLocaleString('en-US')}.${String(total % 100).padStart(2, '0')}`;
  return (mail) => /^Receipt for your payment of /.test(mail.subject ?? '') && mail.subject.includes(amount);
}
