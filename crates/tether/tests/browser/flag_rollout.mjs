// Edits the default rule's rollout of demo flag new-checkout in production from
// 25/75 to 40/60, then checks that a sum other than 100 is refused inline.
// Usage: node flag_rollout.mjs http://127.0.0.1:PORT API_TOKEN
import { launch, check, signIn, openForm } from './harness.mjs';

const base = process.argv[2];
const { browser, page } = await launch();
await signIn(page, base, process.argv[3]);
const text = async (selector) => (await page.textContent(selector)).replace(/\s+/g, ' ').trim();
const shown = async () => [await text('.slice[data-variation="on"]'), await text('.slice[data-variation="off"]')].join(' / ');
try {
  await page.goto(`${base}/flags/demo/new-checkout?env=production`);
  check((await shown()) === 'on 25% / off 75%', `starts at 25/75: ${await shown()}`);
  check((await page.inputValue('#weight-on')) === '25', 'the form holds the stored percentage');

  await openForm(page, '#edit-default-rule');
  await page.getByLabel('on', { exact: true }).fill('40');
  await page.getByLabel('off', { exact: true }).fill('60');
  await Promise.all([page.waitForURL(/saved=default-rule/), page.click('button:text-is("Save default rule")')]);
  check((await shown()) === 'on 40% / off 60%', `now 40/60: ${await shown()}`);
  check((await text('#notice')) === 'Saved the default rule in Production.', `notice: ${await text('#notice')}`);
  check((await page.inputValue('#weight-on')) === '40', 'the form shows the new percentage');
  check((await page.$('#default-rule-error')) === null, 'no error after a good save');

  // A sum of 90: refused inline, the input kept, nothing saved.
  await openForm(page, '#edit-default-rule');
  await page.fill('#weight-on', '40');
  await page.fill('#weight-off', '50');
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('button:text-is("Save default rule")')]);
  await page.waitForSelector('#default-rule-error');
  const error = await text('#default-rule-error');
  check(error === 'percentages must add up to 100, they add up to 90', `inline error: ${error}`);
  check((await page.getAttribute('form[action$="/default-rule"] fieldset', 'aria-describedby')) === 'default-rule-error', 'the error describes the fieldset');
  check((await page.inputValue('#weight-off')) === '50', 'the typed value is kept');
  check((await shown()) === 'on 40% / off 60%', `still 40/60: ${await shown()}`);

  // Not a number: an error next to that field.
  await page.fill('#weight-on', 'forty');
  await page.fill('#weight-off', '60');
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('button:text-is("Save default rule")')]);
  await page.waitForSelector('#weight-on-error');
  check((await text('#weight-on-error')).startsWith('"forty" is not a percentage'), `field error: ${await text('#weight-on-error')}`);
  check((await page.getAttribute('#weight-on', 'aria-invalid')) === 'true', 'the field is marked invalid');

  // The page reloaded fresh still shows what was saved.
  await page.goto(`${base}/flags/demo/new-checkout?env=production`);
  check((await shown()) === 'on 40% / off 60%', `saved 40/60: ${await shown()}`);
  console.log('ok: new-checkout rollout edited to 40/60, bad input refused inline');
} finally {
  await browser.close();
}
