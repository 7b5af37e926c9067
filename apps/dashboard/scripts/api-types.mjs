/**
 * The dashboard's API types, generated from the API's OpenAPI document (docs/openapi.json, which
 * apps/api's tests keep equal to what the server serves) by openapi-typescript. Writes
 * src/generated/api-schema.d.ts; with --check, fails if that file is not what the document gives.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import openapiTS, { astToString } from 'openapi-typescript';

const SOURCE = new URL('../../../docs/openapi.json', import.meta.url);
const TARGET = new URL('../src/generated/api-schema.d.ts', import.meta.url);

const header =
  '// Generated from docs/openapi.json by scripts/api-types.mjs (npm run api-types -w @herald/dashboard).\n' +
  '// Do not edit: change the API, then regenerate.\n\n';
const types = header + astToString(await openapiTS(SOURCE));

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(TARGET, 'utf8');
  } catch {}
  if (current !== types) {
    console.error(
      'src/generated/api-schema.d.ts is not what docs/openapi.json gives: run `npm run api-types -w @herald/dashboard`.',
    );
    process.exit(1);
  }
  console.log('api-schema.d.ts matches docs/openapi.json');
} else {
  writeFileSync(TARGET, types);
  console.log('wrote src/generated/api-schema.d.ts');
}
