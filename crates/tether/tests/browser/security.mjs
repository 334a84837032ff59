// Cross-site request forgery and sessions in a real browser: a page on another
// origin cannot make the signed-in person's browser toggle a flag (neither with a
// form nor with fetch to the API), the session cookie is HttpOnly and
// SameSite=Strict and holds a session id (not the API token), and after signing
// out that id no longer opens anything.
// Usage: node security.mjs http://127.0.0.1:PORT API_TOKEN
import http from 'node:http';
import { launch, check, signIn } from './harness.mjs';

const base = process.argv[2];
const token = process.argv[3];
const port = new URL(base).port;
const { browser, page } = await launch();

const prodOn = async () => {
  const r = await fetch(`${base}/api/projects/demo/flags/banner-text`, { headers: { authorization: `Bearer ${token}` } });
  const f = await r.json();
  return f.environments.find((e) => e.env === 'production').on;
};

// The attacker's site: a page that posts the toggle form at once, and one that
// fetches the API with the browser's cookies.
const target = `${base}/flags/demo/banner-text/production/toggle`;
const api = `${base}/api/projects/demo/flags/banner-text/environments/production/toggle`;
const evil = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/html');
  if (req.url === '/form') {
    res.end(`<form id="f" method="post" action="${target}"><input name="version" value="1"><input name="on" value="false"><input name="confirm" value="yes"></form><script>document.getElementById('f').submit()</script>`);
  } else {
    res.end(`<script>fetch(${JSON.stringify(api)}, {method: 'POST', credentials: 'include', headers: {'content-type': 'text/plain'}, body: '{"on": false}'}).then(r => document.title = 'status ' + r.status, e => document.title = 'blocked')</script>`);
  }
});
await new Promise((resolve) => evil.listen(0, '127.0.0.1', resolve));
const evilPort = evil.address().port;

try {
  await signIn(page, base, token);
  const cookies = await page.context().cookies(base);
  const session = cookies.find((c) => c.name === 'tether_session');
  check(session, 'a session cookie was set');
  check(session.httpOnly && session.sameSite === 'Strict', `cookie flags: ${JSON.stringify(session)}`);
  check(session.value !== token && session.value.startsWith('tether-session-'), 'the cookie holds a session id, not the token');
  check(await prodOn(), 'banner-text starts on in production');

  // Another site (another port on this host is the same site but another origin;
  // localhost is another site altogether) posts the form.
  for (const origin of [`http://127.0.0.1:${evilPort}`, `http://localhost:${evilPort}`]) {
    const response = page.waitForResponse((r) => r.url() === target);
    await page.goto(`${origin}/form`);
    const status = (await response).status();
    check(status === 403, `${origin}: the forged post (confirmation included) was answered ${status}`);
    check(await prodOn(), `${origin}: the forged form toggled nothing`);
    await page.goto(`${origin}/fetch`);
    await page.waitForFunction(() => document.title !== '', null, { timeout: 10000 });
    check(await prodOn(), `${origin}: fetch with the browser's cookies toggled nothing (${await page.title()})`);
  }

  // tether's own page, the same session: the toggle works (production asks first).
  const toggle = async () => {
    await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('#switch')]);
    await Promise.all([page.waitForURL(/saved=toggle/), page.click('#confirm-toggle')]);
  };
  await page.goto(`${base}/flags/demo/banner-text?env=production`);
  await toggle();
  check(!(await prodOn()), 'the real form toggled');
  await toggle();

  // Sign out with the button every page has; the old id opens nothing any more.
  check((await page.textContent('form.who')).includes('Signed in as'), 'the signed-in indicator');
  await Promise.all([page.waitForURL(/\/signin/), page.click('form.who button')]);
  const other = await browser.newContext();
  await other.addCookies([{ name: 'tether_session', value: session.value, url: base }]);
  const replay = await other.newPage();
  await replay.goto(`${base}/flags`);
  check(new URL(replay.url()).pathname === '/signin', `the signed-out session opened ${replay.url()}`);
  console.log(`ok: forged posts from ports ${evilPort} refused; session ${port} ended at sign-out`);
} finally {
  evil.close();
  await browser.close();
}
