// Generates the JSON Schemas of nt351's reports (schema/*.schema.json) from their TypeScript types,
// so --json users can validate and get editor completion. `npm run schemas` rewrites them;
// test/cli/schema.test.ts fails when the committed files are stale.
import { writeFileSync } from 'node:fs';
import { createGenerator } from 'ts-json-schema-generator';

/** Report type → file. */
export const REPORTS = [
  { type: 'InspectReport', path: 'src/analysis/inspect.ts', out: 'schema/inspect-report.schema.json' },
  { type: 'ResolveReport', path: 'src/analysis/resolve.ts', out: 'schema/resolve-report.schema.json' },
  { type: 'BootReport', path: 'src/boot/report.ts', out: 'schema/boot-report.schema.json' },
] as const;

export function generate(report: (typeof REPORTS)[number]): string {
  const schema = createGenerator({
    path: report.path,
    tsconfig: 'tsconfig.json',
    type: report.type,
    skipTypeCheck: true,
    additionalProperties: false,
  }).createSchema(report.type);
  return `${JSON.stringify({ $id: `https://nt351.invalid/${report.out}`, ...schema }, null, 2)}\n`;
}

if (process.argv[1]?.endsWith('gen-schemas.ts')) {
  for (const r of REPORTS) {
    writeFileSync(r.out, generate(r));
    process.stdout.write(`wrote ${r.out}\n`);
  }
}
