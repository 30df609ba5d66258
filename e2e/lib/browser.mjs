// Chromium for the payments test, with the same flags and checks as
// portal.test.mjs: every page is watched for console errors, script
// errors, failed requests and Content Security Policy violations, and
// screenshots land in e2e/artifacts/.

import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(HERE, '../artifacts');
const CHROMIUM = process.env.PORTAL_E2E_CHROMIUM || '/usr/bin/chromium';
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
const DESKTOP = { width: 1280, height: 900 };

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * A fresh browser context (a device) with one watched page. Whatever a
 * person would never see but that means something broke is pushed onto
 * `problems`: console errors (Chromium reports CSP violations there too),
 * CSP violation events, uncaught script errors, failed requests and
 * subresources answered with an error status.
 */
export async function openDevice(browser, problems, label) {
  const context = await browser.newContext({ viewport: DESKTOP });
  context.setDefaultTimeout(15_000);
  // Runs before any page script, outside the page's policy.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} refused ${event.blockedURI || 'inline'}`);
    });
  });
  const page = await context.newPage();
  page.on('response', (response) => {
    const request = response.request();
    const document = request.isNavigationRequest() && request.frame() === page.mainFrame();
    if (!document && response.status() >= 400) {
      problems.push(`${label}: ${response.status()} for ${response.url()}`);
    }
  });
  page.on('requestfailed', (request) => {
    problems.push(`${label}: request failed: ${request.url()} (${request.failure()?.errorText})`);
  });
  page.on('pageerror', (error) => problems.push(`${label}: page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`${label}: console error at ${message.location().url}: ${message.text()}`);
    }
  });
  return { context, page };
}

/** A full-page screenshot: artifacts/NAME.png. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export async function expectHeading(page, text) {
  await page.getByRole('heading', { level: 1, name: text }).waitFor();
}

/** Parses "$9,207.50" into cents. */
export function cents(money) {
  const match = /(-?)\$?([\d,]+)\.(\d{2})/.exec(money);
  if (!match) throw new Error(`not an amount: ${JSON.stringify(money)}`);
  return Number(`${match[1]}${match[2].replace(/,/g, '')}${match[3]}`);
}
