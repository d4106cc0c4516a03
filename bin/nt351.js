#!/usr/bin/env node
// Command-line entry: loads the compiled CLI (run `npm run build` or ./scripts/setup.sh first).
import('../dist/cli/main.js').then(
  (m) => m.main(process.argv),
  (err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write('nt351: dist/ is missing: in a checkout of nt351, run npm run build first\n');
      process.exit(70);
    }
    throw err;
  },
);
