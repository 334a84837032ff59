// Connects a Jira issue on a demo flag's Integrations tab: a wrong key is refused
// inline (nothing stored), a right one shows its summary, status and link, and
// it can be disconnected again.
// Usage: node jira_connect_issue.mjs http://127.0.0.1:PORT API_TOKEN JIRA_URL
import { launch, check, signIn } from './harness.mjs';

const [base, token, jira] = process.argv.slice(2);
const { browser, page } = await launch();
await signIn(page, base, token);
const text = async (selector) => (await page.textContent(selector)).replace(/\s+/g, ' ').trim();
try {
  await page.goto(`${base}/flags/demo/new-checkout`);
  await page.click('.tabs a:text-is("Integrations")');
  await page.waitForLoadState('domcontentloaded');
  check(new URL(page.url()).search === '?tab=integrations', `on the Integrations tab: ${page.url()}`);
  check((await text('#no-issues')) === 'No Jira issues are connected to this flag.', 'nothing connected yet');
  check((await text('#jira-site')).includes('sandbox: Production (primary)'), `site line: ${await text('#jira-site')}`);

  // A key Jira does not know: refused inline, as typed.
  await page.fill('#issue-key', 'SAND-404');
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('form[action$="/jira/link"] button')]);
  const error = await text('#issue-error');
  check(error.includes('has no issue SAND-404') && error.includes('nothing was linked'), `inline error: ${error}`);
  check((await page.getAttribute('#issue-key', 'aria-invalid')) === 'true', 'the field is marked invalid');
  check((await page.inputValue('#issue-key')) === 'SAND-404', 'the key stays as typed');
  check((await page.$('#no-issues')) !== null, 'still nothing connected');

  // A real one, typed in lower case with the keyboard.
  await page.fill('#issue-key', '');
  await page.focus('#issue-key');
  await page.keyboard.type('sand-1');
  await Promise.all([page.waitForURL(/tab=integrations$/), page.keyboard.press('Enter')]);
  check((await page.$('#issue-error')) === null, 'no error after connecting');
  const row = 'tr[data-issue="SAND-1"]';
  check((await text(`${row} .summary`)) === 'Faster checkout', `summary: ${await text(`${row} .summary`)}`);
  check((await text(`${row} .status`)) === 'In Progress', 'status from Jira');
  check((await page.getAttribute(`${row} th a`, 'href')) === `${jira}/browse/SAND-1`, 'links to the issue in Jira');
  check((await page.getAttribute('#jira-sync', 'data-state')) !== null, 'the delivery state is shown');

  // The issue's own page shows the flag as Jira does.
  await page.goto(`${base}/issues/SAND-1`);
  check((await text('#headline')) === 'New checkout', `headline: ${await text('#headline')}`);
  // A rule and a rollout read as both (issue 12 §5), never "rollout 1 rule".
  check((await text('.primary-state')) === 'On in Production (primary) · 1 rule + 25% rollout', `primary state: ${await text('.primary-state')}`);

  // Disconnect.
  await page.goto(`${base}/flags/demo/new-checkout?tab=integrations`);
  await Promise.all([page.waitForURL(/tab=integrations$/), page.click('button[aria-label="Disconnect SAND-1"]')]);
  check((await page.$('#no-issues')) !== null, 'disconnected');
  console.log('ok: connected SAND-1 on the Integrations tab after a refused key, and disconnected it');
} finally {
  await browser.close();
}
