// Static analysis of images, no code run: `inspect` (what the parser reads from one image) and
// `resolve` (Dependency-Walker-style import resolution with NT's loader statuses).
export { type InspectReport, inspectImage } from './inspect.js';
export {
  ntPathOf,
  type ResolveInput,
  type ResolveMiss,
  type ResolveOptions,
  type ResolveRefusal,
  type ResolveReport,
  resolveImages,
} from './resolve.js';
