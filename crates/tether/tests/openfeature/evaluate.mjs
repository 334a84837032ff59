// Evaluates flags through the official OpenFeature server SDK and OFREP provider.
// Usage: node evaluate.mjs BASE_URL SDK_KEY < cases.json
// cases: [{flag, kind: boolean|string|number|object, default, context}]
// Prints one JSON array: [{flag, value, variant, reason, errorCode}].
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

const [baseUrl, sdkKey] = process.argv.slice(2);
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));

await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl, headers: [['Authorization', `Bearer ${sdkKey}`]] }));
const client = OpenFeature.getClient();
const details = {
  boolean: (f, d, c) => client.getBooleanDetails(f, d, c),
  string: (f, d, c) => client.getStringDetails(f, d, c),
  number: (f, d, c) => client.getNumberDetails(f, d, c),
  object: (f, d, c) => client.getObjectDetails(f, d, c),
};
const results = [];
for (const c of cases) {
  const r = await details[c.kind](c.flag, c.default, c.context);
  results.push({ flag: c.flag, value: r.value, variant: r.variant ?? null, reason: r.reason ?? null, errorCode: r.errorCode ?? null });
}
console.log(JSON.stringify(results));
await OpenFeature.close();
