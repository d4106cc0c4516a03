// docs/kernel-surface.md is generated from the handler registry and must be current.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { renderKernelSurface, SURFACE_DOC } from '../../scripts/gen-kernel-surface.js';

it('docs/kernel-surface.md is up to date with the registry (npx tsx scripts/gen-kernel-surface.ts rewrites it)', () => {
  expect(readFileSync(SURFACE_DOC, 'utf8')).toBe(renderKernelSurface());
});
