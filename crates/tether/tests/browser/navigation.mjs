// Loads the status page in Chromium and follows every navigation link.
// Usage: node navigation.mjs http://127.0.0.1:PORT API_TOKEN
import { launch, check, signIn } from './harness.mjs';

const base = process.argv[2];
const { browser, page } = await launch();
await signIn(page, base, process.argv[3]);
try {
  await page.goto(`${base}/`);
  check(new URL(page.url()).pathname === '/status', `start page redirects to /status, got ${page.url()}`);
  check((await page.textContent('h1')) === 'Status', 'status page heading');
  check((await page.textContent('[data-field="health"]')).trim() === 'ready', 'health shows ready');
  check((await page.textContent('[data-field="backend"]')).trim() === 'SQLite', 'backend shows SQLite');

  const labels = await page.$$eval('nav a', (as) => as.map((a) => a.textContent.trim()));
  check(JSON.stringify(labels) === JSON.stringify(['Flags', 'Jira issues', 'Integrations', 'Tickets', 'Insights', 'Status']), `navigation labels: ${labels}`);
  for (const label of labels) {
    await page.click(`nav >> text="${label}"`);
    await page.waitForLoadState('domcontentloaded');
    const current = await page.textContent('nav a[aria-current="page"]');
    check(current.trim() === label, `after clicking ${label}, current is ${current}`);
    check((await page.textContent('h1')).trim() === label || label === 'Status', `heading on ${label}`);
  }
  await page.click('nav >> text="Flags"');
  check((await page.content()).includes('Demo shop'), 'the demo project is listed on Flags');
  // The stylesheet applied: the navigation is laid out as a row.
  const display = await page.$eval('nav ul', (el) => getComputedStyle(el).display);
  check(display === 'flex', `stylesheet applied (nav display ${display})`);
  console.log('ok: status page and navigation');
} finally {
  await browser.close();
}
