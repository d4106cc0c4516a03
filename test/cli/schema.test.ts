// The JSON Schemas in schema/ match the report types, and real reports validate against them.
import { readFileSync, rmSync } from 'node:fs';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, REPORTS } from '../../scripts/gen-schemas.js';
import { inspectImage } from '../../src/analysis/inspect.js';
import { resolveImages } from '../../src/analysis/resolve.js';
import { boot } from '../../src/boot/index.js';
import { collectImages } from '../../src/cli/files.js';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { PeImage } from '../../src/pe/index.js';
import { debianFiles } from '../diff/corpus.js';
import { kbLikeSet } from '../helpers/imageset.js';

const set = kbLikeSet();
const unicornPresent = () => {
  try {
    new UnicornX86().close();
    return true;
  } catch {
    return false;
  }
};
afterAll(() => rmSync(set.root, { recursive: true, force: true }));
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const schema = (out: string) => JSON.parse(readFileSync(out, 'utf8'));
const [inspectSchema, resolveSchema, bootSchema] = REPORTS.map((r) => ajv.compile(schema(r.out)));

describe('report schemas', () => {
  for (const r of REPORTS) {
    it(`${r.out} is up to date with ${r.type} (npm run schemas rewrites it)`, () => {
      expect(readFileSync(r.out, 'utf8')).toBe(generate(r));
    });
  }

  it('inspect reports of real images validate', () => {
    const files = [...collectImages([set.root]), ...debianFiles().slice(0, 30)];
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(f));
      const report = JSON.parse(JSON.stringify(inspectImage(PeImage.parse(bytes, f), bytes.length)));
      expect(inspectSchema!(report), `${f}: ${ajv.errorsText(inspectSchema!.errors)}`).toBe(true);
    }
  });

  it('resolve reports validate, with and without misses', () => {
    const inputs = collectImages([set.root]).map((path) => ({
      path,
      bytes: new Uint8Array(readFileSync(path)),
    }));
    for (const mode of ['kernel', 'user'] as const) {
      const report = JSON.parse(JSON.stringify(resolveImages(inputs, mode)));
      expect(report.missing.length).toBeGreaterThan(0);
      expect(resolveSchema!(report), ajv.errorsText(resolveSchema!.errors)).toBe(true);
    }
  });

  it.skipIf(!unicornPresent())('boot reports validate: errors, bugcheck and loader stop', async () => {
    for (const name of ['kb138713-x86-up', 'mismatched-hal-x86', 'sp3-x86-up']) {
      const report = JSON.parse(JSON.stringify(await boot(`fixtures/imagesets/${name}`)));
      expect(bootSchema!(report), `${name}: ${ajv.errorsText(bootSchema!.errors)}`).toBe(true);
    }
  });

  it('rejects a report with a wrong field type (the schema can fail)', () => {
    const bytes = new Uint8Array(readFileSync(collectImages([set.root])[0]!));
    const report = JSON.parse(JSON.stringify(inspectImage(PeImage.parse(bytes, 'x'), bytes.length)));
    report.machine = 332;
    expect(inspectSchema!(report)).toBe(false);
  });
});
