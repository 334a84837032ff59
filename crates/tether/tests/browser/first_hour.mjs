// The README's first hour, as a newcomer walks it from the demo's banner: open the web UI
// address, sign in with the banner's admin token, see the flags with their Jira issues,
// find the Jira sites on the Integrations page, follow the banner's toggle link, switch the
// flag off in production (confirming), then open the banner's Jira sandbox pages and see
// each issue follow: SHOP-1's feature-flag panel (Jira Cloud) and WH-1's remote link (Data
// Center). Usage: BANNER='<the demo banner>' node first_hour.mjs
import { launch, check } from './harness.mjs';

const banner = process.env.BANNER || '';
// The first URL on the banner line that starts with `label`, as a person copies it.
const urlAfter = (label) => {
  const line = banner.split('\n').map((l) => l.trim()).find((l) => l.startsWith(label));
  check(line, `the banner has a line starting ${label}`);
  return line.slice(line.indexOf('http://')).split(/\s+/)[0];
};
const valueAfter = (label) => {
  const line = banner.split('\n').map((l) => l.trim()).find((l) => l.startsWith(label));
  check(line, `the banner has a line starting ${label}`);
  return line.slice(label.length).trim();
};
const webUi = urlAfter('web UI:');
const token = valueAfter('Admin API token:');

const { browser, page } = await launch();
// What a person sees: the rendered text, cells apart, runs of white space as one.
const text = async (selector) => (await page.innerText(selector)).replace(/\s+/g, ' ').trim();

// Reloads `url` until `selector`'s text satisfies `done` (Jira hears of a change in the
// background), failing after 20 s with what the page last showed.
async function until(url, selector, done, what) {
  const deadline = Date.now() + 20000;
  for (;;) {
    await page.goto(url);
    const shown = await text(selector);
    if (done(shown)) return shown;
    check(Date.now() < deadline, `${what}; the page shows: ${shown}`);
    await page.waitForTimeout(200);
  }
}

try {
  // 1-2. The web UI asks for the token, then opens on the flag list.
  await page.goto(webUi);
  check(new URL(page.url()).pathname === '/signin', `the web UI asks to sign in first, got ${page.url()}`);
  await page.fill('#token', token);
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('form.signin button[type="submit"]')]);
  check(new URL(page.url()).pathname === '/flags', `signed in onto the flag list, got ${page.url()}`);
  check((await text('.who span')) === 'Signed in as admin/demo-admin', 'named as the demo admin');
  const issues = await text('tr[data-flag="new-checkout"] .issue-keys');
  check(issues.includes('SHOP-1'), `new-checkout's row names SHOP-1: ${issues}`);

  // The Integrations page names both sandboxes' sites.
  await page.click('nav[aria-label="Main"] >> text="Integrations"');
  await page.waitForLoadState('domcontentloaded');
  const sites = await text('table.sites-table tbody');
  check(sites.includes('demo') && sites.includes('warehouse'), `both projects report to a site: ${sites}`);
  check(!/clientKey|jira:[A-Za-z0-9]{6}/.test(sites), `no Connect client key is shown: ${sites}`);

  // 3. Cloud: the banner's toggle link, switched off in production after confirming.
  for (const [label, flag, watch, selector, done] of [
    ['toggle "New checkout"', 'New checkout', 'and watch SHOP-1', '#feature-flags',
      (s) => /Production production Disabled/.test(s)],
    ['toggle "Bulk picking"', 'Bulk picking', 'and watch WH-1', '#remote-links',
      (s) => s.includes('off in Production')],
  ]) {
    const before = await until(urlAfter(watch), selector, (s) => s.includes(flag), `${watch} shows ${flag}`);
    check(!done(before), `${flag} starts on in Production: ${before}`);
    await page.goto(urlAfter(label));
    check((await page.getAttribute('#switch', 'aria-checked')) === 'true', `${flag} is on in production`);
    await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('#switch')]);
    await page.waitForSelector('#confirm');
    check((await text('#confirm-question')) === `Turn ${flag} off in Production?`, `asks first: ${await text('#confirm-question')}`);
    await Promise.all([page.waitForURL(/saved=toggle/), page.click('#confirm-toggle')]);
    check((await page.getAttribute('#switch', 'aria-checked')) === 'false', `${flag} shows off`);
    const after = await until(urlAfter(watch), selector, done, `${watch} never showed ${flag} off`);
    console.log(`${watch.replace('and watch ', '')}: ${after.slice(0, 160)}`);
  }
  console.log('ok: the first hour, from the banner to both Jira sandboxes');
} finally {
  await browser.close();
}
