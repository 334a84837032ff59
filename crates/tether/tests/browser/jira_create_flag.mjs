// Jira's "Create feature flag" opens tether's create page with the key
// and summary: signing in comes back to it, the form is prefilled (name from the
// summary, key slugged), and saving creates the flag linked to the issue.
// Usage: node jira_create_flag.mjs http://127.0.0.1:PORT API_TOKEN JIRA_URL
import { launch, check } from './harness.mjs';

const [base, token, jira] = process.argv.slice(2);
const { browser, page } = await launch();
const text = async (selector) => (await page.textContent(selector)).replace(/\s+/g, ' ').trim();
try {
  const from = `${base}/jira/create-flag?issueKey=SAND-2&issueSummary=${encodeURIComponent('Remember the cart!')}`;
  await page.goto(from);
  check(new URL(page.url()).pathname === '/signin', `asked to sign in first: ${page.url()}`);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(/\/jira\/create-flag/), page.click('form.signin button[type="submit"]')]);
  check(page.url() === from, `back on the page Jira opened: ${page.url()}`);

  check((await text('#issue-key')) === 'SAND-2', 'the issue is named');
  check((await page.inputValue('#name')) === 'Remember the cart!', `name from the summary: ${await page.inputValue('#name')}`);
  check((await page.inputValue('#key')) === 'remember-the-cart', `key slugged: ${await page.inputValue('#key')}`);
  check((await page.$eval('#project', (s) => s.value)) === 'demo', 'the project reporting to Jira is chosen');

  // A key that is taken comes back inline.
  await page.fill('#key', 'new-checkout');
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('form.create-flag button[type="submit"]')]);
  check((await text('#key-error')).includes('already has a flag'), `key error: ${await text('#key-error')}`);
  check((await page.inputValue('#name')) === 'Remember the cart!', 'the name is kept');

  await page.fill('#key', 'remember-the-cart');
  await Promise.all([page.waitForURL(/\/flags\/demo\/remember-the-cart\?tab=integrations$/), page.click('form.create-flag button[type="submit"]')]);
  check((await text('h1')) === 'Remember the cart!', `on the new flag's page: ${await text('h1')}`);
  check((await text('tr[data-issue="SAND-2"] .summary')) === 'Remember the cart', 'linked to SAND-2, read from Jira');
  check((await text('tr[data-issue="SAND-2"] .status')) === 'Done', 'with its status');

  // Jira opens these pages from its own site, where the browser holds back the
  // SameSite=Strict session cookie: a signed-in person still lands on the page.
  const fromJira = jira.replace('127.0.0.1', 'localhost');
  const linkPage = `${base}/jira/link-flag?issueKey=SAND-2`;
  await page.goto(`${fromJira}/`);
  await Promise.all([page.waitForURL(/\/jira\/link-flag/), page.evaluate((url) => { window.location.href = url; }, linkPage)]);
  await page.waitForSelector('h1');
  check(new URL(page.url()).pathname === '/jira/link-flag', `opened from another site, still signed in: ${page.url()}`);
  check((await text('h1')) === 'Connect a feature flag', 'the chooser shows');
  // Someone not signed in is asked to, as usual.
  const stranger = await browser.newPage();
  await stranger.goto(`${fromJira}/`);
  await Promise.all([stranger.waitForURL(/\/signin/), stranger.evaluate((url) => { window.location.href = url; }, linkPage)]);
  check(new URL(stranger.url()).searchParams.get('next') === '/jira/link-flag?issueKey=SAND-2', `sign-in comes back: ${stranger.url()}`);
  console.log('ok: created remember-the-cart from SAND-2, prefilled, after signing in; opened from another site');
} finally {
  await browser.close();
}
