// Turns a demo flag off and on again in production from its page, with the mouse
// and then the keyboard, and checks the switch and the "last saved" line.
// Usage: node flag_toggle.mjs http://127.0.0.1:PORT API_TOKEN
import { launch, check, signIn } from './harness.mjs';

const base = process.argv[2];
const { browser, page } = await launch();
await signIn(page, base, process.argv[3]);
const text = async (selector) => (await page.textContent(selector)).replace(/\s+/g, ' ').trim();
try {
  await page.goto(`${base}/flags`);
  await page.click('a:text-is("Banner text")');
  await page.waitForLoadState('domcontentloaded');
  check(new URL(page.url()).pathname === '/flags/demo/banner-text', `on the flag page, got ${page.url()}`);
  check((await text('.tabs a[aria-current="page"]')) === 'Production', 'the primary environment is the current tab');
  check((await page.getAttribute('#switch', 'aria-checked')) === 'true', 'banner-text starts on in production');
  const savedBefore = await text('#last-saved');
  check(/^Last saved .* by demo$/.test(savedBefore), `last saved by the demo: ${savedBefore}`);
  const version = await text('[data-field="config-version"]');

  // The mouse: off. Production asks first; nothing changes until confirmed.
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('#switch')]);
  await page.waitForSelector('#confirm');
  check((await text('#confirm-question')) === 'Turn Banner text off in Production?', `question: ${await text('#confirm-question')}`);
  check((await page.getAttribute('#switch', 'aria-checked')) === 'true', 'still on while asking');
  // Cancel leaves it on; the second time it is confirmed.
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('#confirm-cancel')]);
  check((await page.$('#confirm')) === null, 'cancelled');
  check(Number(await text('[data-field="config-version"]')) === Number(version), 'nothing was saved');
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('#switch')]);
  await page.waitForSelector('#confirm');
  await Promise.all([page.waitForURL(/saved=toggle/), page.click('#confirm-toggle')]);
  check((await page.getAttribute('#switch', 'aria-checked')) === 'false', 'the switch shows off');
  check((await text('#switch-state')).startsWith('Banner text is off in Production'), `state line: ${await text('#switch-state')}`);
  check((await text('#notice')) === 'Saved: Banner text is now off in Production.', `notice: ${await text('#notice')}`);
  const savedAfter = await text('#last-saved');
  check(savedAfter !== savedBefore, 'the last saved line changed');
  check(/^Last saved just now \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\) by admin\/demo-admin$/.test(savedAfter), `last saved line: ${savedAfter}`);
  check(Number(await text('[data-field="config-version"]')) === Number(version) + 1, 'the config version went up by one');
  check((await text('.history tbody tr:first-child')).includes('turned the flag off'), 'history shows the change first');

  // The list agrees; the other environments are untouched.
  await page.goto(`${base}/flags?state=off&env=production`);
  const off = await page.$$eval('tr[data-flag]', (rows) => rows.map((r) => r.dataset.flag));
  check(JSON.stringify(off) === JSON.stringify(['banner-text', 'search-page-size']), `off in production: ${off}`);
  const pills = await page.$$eval('tr[data-flag="banner-text"] .pill', (ps) => ps.map((p) => p.textContent.trim()));
  check(JSON.stringify(pills) === JSON.stringify(['On', 'On', 'Off']), `banner-text per environment: ${pills}`);

  // The keyboard: back on (Enter on the switch, Enter on the confirmation).
  await page.goto(`${base}/flags/demo/banner-text?env=production`);
  await page.focus('#switch');
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.keyboard.press('Enter')]);
  await page.waitForSelector('#confirm');
  check((await text('#confirm-question')) === 'Turn Banner text on in Production?', 'asks to turn it on');
  await page.focus('#confirm-toggle');
  await Promise.all([page.waitForURL(/saved=toggle/), page.keyboard.press('Enter')]);
  check((await page.getAttribute('#switch', 'aria-checked')) === 'true', 'the switch shows on again');
  check((await text('#notice')) === 'Saved: Banner text is now on in Production.', 'notice after turning on');
  console.log('ok: toggled banner-text in production off and on');
} finally {
  await browser.close();
}
