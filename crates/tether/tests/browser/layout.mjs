// Every main page at desktop and phone width: nothing wider than the window (no
// sideways scrolling of the page; wide tables scroll inside their own box), and a
// screenshot of each, written to SCREENSHOTS (a folder) for people to look at.
// Usage: node layout.mjs http://127.0.0.1:PORT API_TOKEN
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, check, signIn, openForm } from './harness.mjs';

const base = process.argv[2];
const out = process.env.SCREENSHOTS || 'screenshots';
mkdirSync(out, { recursive: true });
const { browser, page } = await launch();
await signIn(page, base, process.argv[3]);
const pages = [
  ['flags', '/flags'],
  ['flag', '/flags/demo/new-checkout?env=production'],
  ['jira', '/jira'],
  ['code', '/code'],
  ['code-settings', '/code/settings'],
  ['findings', '/code/findings'],
  ['integrations', '/integrations'],
  ['tickets', '/tickets'],
  ['insights', '/insights'],
  ['roles', '/roles'],
  ['status', '/status'],
];
// A ticket's page and its site's Jira ingestion page, found from the Tickets page (the
// demo's sites are named after the sandboxes' ports).
await page.goto(`${base}/tickets`);
const ticket = await page.evaluate(() => [...document.querySelectorAll('a')]
  .map((a) => a.getAttribute('href'))
  .find((h) => /^\/tickets\/sites\/[^/]+\/tickets\/[^/]+$/.test(h || '')) || null);
check(ticket !== null, 'the Tickets page lists a ticket');
pages.push(['ticket', ticket], ['ticket-ingestion', ticket.replace(/\/tickets\/[^/]+$/, '')]);
try {
  for (const [width, height, name] of [[1280, 800, 'desktop'], [390, 844, 'phone']]) {
    await page.setViewportSize({ width, height });
    for (const [label, path] of pages) {
      await page.goto(`${base}${path}`);
      const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      check(scroll <= inner, `${path} at ${name} width is ${scroll}px wide in a ${inner}px window`);
      await page.screenshot({ path: join(out, `${label}-${name}.png`), fullPage: true });
    }
    // The flag page is short with its edit forms collapsed, and still fits once one is open.
    await page.goto(`${base}/flags/demo/new-checkout?env=production`);
    const closed = await page.evaluate(() => document.documentElement.scrollHeight);
    await openForm(page, '#edit-rule');
    await openForm(page, '#edit-default-rule');
    const open = await page.evaluate(() => document.documentElement.scrollHeight);
    check(open > closed, `opening forms makes the page longer (${closed}px → ${open}px)`);
    const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(scroll <= inner, `the open forms fit at ${name} width (${scroll}px in ${inner}px)`);
    await page.screenshot({ path: join(out, `flag-forms-open-${name}.png`), fullPage: true });
    console.log(`${name}: flag page ${closed}px tall with forms collapsed, ${open}px with two open`);
  }
  console.log(`ok: ${pages.length} pages fit desktop and phone widths; screenshots in ${out}`);
} finally {
  await browser.close();
}
