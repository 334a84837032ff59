// Edits the targeting of demo flag new-checkout in production from its page:
// individual targets (then served over OFREP with an SDK key of production), a
// rule with one clause (listed in words, served over OFREP, moved up, deleted),
// and a rule with an invalid regular expression refused inline as typed.
// Usage: node flag_targeting.mjs http://127.0.0.1:PORT API_TOKEN
import { launch, check, signIn, openForm } from './harness.mjs';

const base = process.argv[2];
const token = process.argv[3];
const { browser, page } = await launch();
await signIn(page, base, token);
const text = async (selector) => (await page.textContent(selector)).replace(/\s+/g, ' ').trim();
const rules = async () => page.$$eval('ol.rules > li.rule', (lis) => lis.map((li) => li.dataset.rule));

// An SDK key of production, made through the admin API, to evaluate as an app would.
const made = await fetch(`${base}/api/projects/demo/environments/production/sdk-keys`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}` },
});
check(made.status === 201, `an SDK key was made: ${made.status}`);
const sdkKey = (await made.json()).key;
const evaluate = async (context) => {
  const r = await fetch(`${base}/ofrep/v1/evaluate/flags/new-checkout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ context }),
  });
  check(r.status === 200, `OFREP answered ${r.status}`);
  const body = await r.json();
  return `${body.value} ${body.reason}${body.metadata?.ruleId ? ` ${body.metadata.ruleId}` : ''}`;
};

try {
  await page.goto(`${base}/flags/demo/new-checkout?env=production`);
  check((await text('#targets-heading + p.hint')) === 'No individual targets.', 'no targets at first');

  // The edit forms start collapsed (the page stays short); a click opens one.
  check(!(await page.isVisible('#targets-on')), 'the targets form starts collapsed');
  check(await openForm(page, '#edit-targets'), 'the targets form opens');

  // Individual targets: typed one per line or separated by commas.
  await page.fill('#targets-on', 'tester-7');
  await page.getByLabel('Serve off to').fill('vip-1, vip-2\nvip-3');
  await Promise.all([page.waitForURL(/saved=targets/), page.click('button:text-is("Save targets")')]);
  check((await text('#notice')) === 'Saved the individual targets in Production.', `notice: ${await text('#notice')}`);
  check((await text('#targets li[data-variation="on"]')) === 'Serve on to tester-7', `on: ${await text('#targets li[data-variation="on"]')}`);
  check((await text('#targets li[data-variation="off"]')) === 'Serve off to vip-1, vip-2, vip-3', `off: ${await text('#targets li[data-variation="off"]')}`);
  check((await page.inputValue('#targets-off')) === 'vip-1\nvip-2\nvip-3', 'the form shows the keys one per line');
  check((await evaluate({ targetingKey: 'tester-7' })) === 'true TARGETING_MATCH', `tester-7: ${await evaluate({ targetingKey: 'tester-7' })}`);
  check((await evaluate({ targetingKey: 'vip-2' })) === 'false TARGETING_MATCH', `vip-2: ${await evaluate({ targetingKey: 'vip-2' })}`);

  // A rule with one clause, listed in words and served.
  check(JSON.stringify(await rules()) === '["staff"]', `rules at first: ${await rules()}`);
  await openForm(page, '#edit-rule');
  await page.fill('#rule-description', 'Benelux pilot');
  await page.fill('#rule-attribute', 'country');
  await page.selectOption('#rule-op', 'in');
  await page.fill('#rule-values', 'NL\nBE');
  await page.check('#rule-mode-variation');
  await page.selectOption('select[name="variation"][aria-label="Variation the new rule serves"]', 'on');
  await Promise.all([page.waitForURL(/saved=rule-added/), page.click('button:text-is("Add rule")')]);
  check((await text('#notice')) === 'Added a rule in Production.', `notice: ${await text('#notice')}`);
  check(JSON.stringify(await rules()) === '["staff","rule-1"]', `rules: ${await rules()}`);
  const added = await text('li.rule[data-rule="rule-1"] .clauses');
  check(added === 'If country is one of "NL", "BE"', `the rule in words: ${added}`);
  check((await text('li.rule[data-rule="rule-1"] .rule-title')).startsWith('Benelux pilot'), 'the description is its title');
  check((await page.inputValue('#rule-attribute')) === '', 'the add form is blank again');
  check((await evaluate({ targetingKey: 'someone', country: 'NL' })) === 'true TARGETING_MATCH rule-1', `NL: ${await evaluate({ targetingKey: 'someone', country: 'NL' })}`);

  // An invalid regular expression: refused next to the values, as typed, nothing saved.
  await openForm(page, '#edit-rule');
  await page.fill('#rule-attribute', 'email');
  await page.selectOption('#rule-op', 'matches');
  await page.fill('#rule-values', '([a-z');
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('button:text-is("Add rule")')]);
  await page.waitForSelector('#rule-values-error');
  check(await page.$eval('#edit-rule', (d) => d.open), 'a form that came back with an error is open');
  const error = await text('#rule-values-error');
  check(error.startsWith('invalid regular expression'), `inline error: ${error}`);
  check((await page.getAttribute('#rule-values', 'aria-invalid')) === 'true', 'the values are marked invalid');
  check((await page.getAttribute('#rule-values', 'aria-describedby')).includes('rule-values-error'), 'the error describes the field');
  check((await page.inputValue('#rule-values')) === '([a-z', 'the typed value is kept');
  check((await page.inputValue('#rule-attribute')) === 'email', 'the attribute is kept');
  check((await page.inputValue('#rule-op')) === 'matches', 'the operator is kept');
  check(JSON.stringify(await rules()) === '["staff","rule-1"]', `nothing added: ${await rules()}`);

  // Moved up, then deleted.
  await page.goto(`${base}/flags/demo/new-checkout?env=production`);
  check(await page.isDisabled('button[aria-label="Move rule staff up"]'), 'the first rule cannot go up');
  await Promise.all([page.waitForURL(/saved=rule-moved/), page.click('button[aria-label="Move rule rule-1 up"]')]);
  check(JSON.stringify(await rules()) === '["rule-1","staff"]', `moved: ${await rules()}`);
  await Promise.all([page.waitForURL(/saved=rule-deleted/), page.click('button[aria-label="Delete rule rule-1"]')]);
  check(JSON.stringify(await rules()) === '["staff"]', `deleted: ${await rules()}`);
  check((await evaluate({ targetingKey: 'tester-7', country: 'NL' })) === 'true TARGETING_MATCH', 'targets still come first');
  console.log('ok: targets saved and served, a rule added in words, moved and deleted, a bad regex refused inline');
} finally {
  await browser.close();
}
