// Checks a Forge manifest offline, as `forge deploy` would before anything else: against the
// JSON schema that npm's @forge/manifest ships (the one the Forge CLI validates with), and for
// what tether needs of it. Exits 1 naming every problem.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import YAML from 'yaml';

const require = createRequire(import.meta.url);
const schema = require('@forge/manifest/schema.json');
const file = process.argv[2] ?? 'manifest.yml';
const manifest = YAML.parse(readFileSync(file, 'utf8'));

// The schema uses formats ajv does not know ("uri"); they are not checked, as in the CLI.
const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
const problems = [];
if (!ajv.validate(schema, manifest)) {
  for (const e of ajv.errors) problems.push(`${e.instancePath || '/'} ${e.message}`);
}

// What tether's pages and remote rely on (the schema allows leaving each out).
const provider = manifest?.modules?.['devops:featureFlagInfoProvider']?.[0];
for (const action of ['createFlag', 'linkFlag', 'listFlag']) {
  if (!provider?.actions?.[action]?.urlTemplate?.includes('{issue.key}')) {
    problems.push(`devops:featureFlagInfoProvider: the ${action} action must take {issue.key}`);
  }
}
const index = manifest?.modules?.['jira:entityProperty']?.[0];
if (index?.propertyKey !== 'tether.flags') {
  problems.push('jira:entityProperty: must index the tether.flags issue property');
}
const remote = manifest?.remotes?.find((r) => r.key === 'tether');
const endpoint = manifest?.modules?.endpoint?.find((e) => e.remote === 'tether');
if (!remote?.baseUrl || endpoint?.route?.path !== '/forge/events') {
  problems.push('the tether remote and its /forge/events endpoint must be declared');
}

for (const p of problems) console.error(`${file}: ${p}`);
console.log(problems.length === 0 ? `${file}: valid` : `${file}: ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
