// What `import koffi from 'koffi'` gives in the CLI bundle (scripts/bundle.cjs; issue 19). koffi's own
// entry (node_modules/koffi/index.js) first runs its installer's helpers (cnoke tools.js), which load
// node:crypto, node:https (with tls, net, http) and node:zlib to download prebuilt binaries: ~13 ms of
// `nt351 boot` start-up, for nothing at run time. The emulator calls only functions of koffi's native
// module (the entry adds deprecated aliases around them), so this loads that module from the path the
// entry loads it from on this platform, with the entry's check (its version is the package's). On any
// failure (another package layout, musl, ARM float ABIs, an old Node-API) it falls back to the entry.
'use strict';

function loadKoffi() {
  try {
    const { dirname, join } = require('node:path');
    const dir = dirname(require.resolve('koffi/package.json'));
    const { version } = JSON.parse(require('node:fs').readFileSync(join(dir, 'package.json'), 'utf8'));
    const native = require(join(dir, 'build', 'koffi', `${process.platform}_${process.arch}`, 'koffi.node'));
    if (native.version === version) return native;
  } catch {}
  return require('koffi');
}

module.exports = loadKoffi();
