// Shared launch and assertion helpers for the browser scripts.
import { chromium } from 'playwright-core';

// Debian's Chromium, started so that it makes no connection beyond loopback.
export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = await browser.newPage();
  page.setDefaultTimeout(15000);
  return { browser, page };
}

export function check(condition, what) {
  if (!condition) {
    throw new Error(`check failed: ${what}`);
  }
}

// Signs in to the web UI with an API token (the demo prints one).
export async function signIn(page, base, token) {
  await page.goto(`${base}/signin`);
  await page.fill('#token', token);
  await page.click('form.signin button[type="submit"]');
  await page.waitForLoadState('domcontentloaded');
  check(!new URL(page.url()).pathname.startsWith('/signin'), `signed in (now at ${page.url()})`);
}

// Opens a collapsed edit form (a <details> element) unless it is open already,
// as a person clicks its summary; returns whether it was closed.
export async function openForm(page, id) {
  const wasOpen = await page.$eval(id, (d) => d.open);
  if (!wasOpen) {
    await page.click(`${id} > summary`);
  }
  return !wasOpen;
}
