#!/usr/bin/env node
// Command-line entry: loads the compiled CLI (run `npm run build` or ./scripts/setup.sh first).
// `nt351 --version` is answered here from package.json, before the CLI's modules load (start-up cost).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
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
}
