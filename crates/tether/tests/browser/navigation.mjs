// The start page is the flag list; every navigation link leads to its page, marked
// current; the signed-in person is named with a way to sign out.
// Usage: node navigation.mjs http://127.0.0.1:PORT API_TOKEN
import { launch, check, signIn } from './harness.mjs';

const base = process.argv[2];
const { browser, page } = await launch();
await signIn(page, base, process.argv[3]);
try {
  await page.goto(`${base}/`);
  check(new URL(page.url()).pathname === '/flags', `the start page is the flag list, got ${page.url()}`);
  check((await page.textContent('h1')) === 'Flags', 'flag list heading');
  check((await page.content()).includes('Demo shop'), 'the demo project is listed');
  const who = (await page.textContent('.who span')).replace(/\s+/g, ' ').trim();
  check(who === 'Signed in as admin/demo-admin', `signed-in indicator: ${who}`);
  check(await page.isVisible('.who button:text-is("Sign out")'), 'a sign-out button');

  const labels = await page.$$eval('nav[aria-label="Main"] a', (as) => as.map((a) => a.textContent.trim()));
  check(JSON.stringify(labels) === JSON.stringify(['Flags', 'Jira issues', 'Code', 'Tickets', 'Insights', 'Integrations', 'Roles', 'Status']), `navigation labels: ${labels}`);
  for (const label of labels) {
    await page.click(`nav[aria-label="Main"] >> text="${label}"`);
    await page.waitForLoadState('domcontentloaded');
    const current = await page.textContent('nav[aria-label="Main"] a[aria-current="page"]');
    check(current.trim() === label, `after clicking ${label}, current is ${current}`);
    check((await page.textContent('h1')).trim() === label, `heading on ${label}: ${await page.textContent('h1')}`);
  }
  // The status page, now its own page.
  check((await page.textContent('[data-field="health"]')).trim() === 'ready', 'health shows ready');
  check((await page.textContent('[data-field="backend"]')).trim() === 'SQLite', 'backend shows SQLite');
  // The stylesheet applied: the navigation is laid out as a row.
  const display = await page.$eval('nav ul', (el) => getComputedStyle(el).display);
  check(display === 'flex', `stylesheet applied (nav display ${display})`);
  console.log('ok: start page, navigation and the signed-in indicator');
} finally {
  await browser.close();
}
