// Evaluates the tether demo's flags through OpenFeature's OFREP provider.
// Run `tether demo`, then: TETHER_SDK_KEY=<the key it prints> node app.mjs
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

const baseUrl = process.env.TETHER_URL ?? 'http://127.0.0.1:8080';
const sdkKey = process.env.TETHER_SDK_KEY;
if (!sdkKey) {
  console.error('set TETHER_SDK_KEY to an SDK key (`tether demo` prints one)');
  process.exit(2);
}
const headers = [['Authorization', `Bearer ${sdkKey}`]];
await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl, headers }));
const client = OpenFeature.getClient();
const user = { targetingKey: 'user-1' };

const results = [
  await client.getBooleanDetails('new-checkout', false, user),
  await client.getStringDetails('banner-text', 'Welcome!', user),
  await client.getNumberDetails('search-page-size', 10, user),
  await client.getObjectDetails('recommendations', { model: 'popular', slots: 3 }, user),
];
for (const r of results) {
  const error = r.errorCode ? ` error=${r.errorCode}${r.errorMessage ? ` (${r.errorMessage})` : ''}` : '';
  console.log(`${r.flagKey.padEnd(17)} ${JSON.stringify(r.value)}  variant=${r.variant ?? ''} reason=${r.reason}${error}`);
}
await OpenFeature.close();
process.exitCode = results.some((r) => r.errorCode) ? 1 : 0;
