/** Where things are, from the compiled bench (dist/bench/bench/*.js) up to the repository root. */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WEB_ROOT = join(REPO_ROOT, 'dist/web');
export const PARLEY_SERVER_ENTRY = join(REPO_ROOT, 'dist/signaling/server.js');
/** The PeerJS server's CLI (the `peer` package; its exports map hides the path from require). */
export const PEERJS_CLI = join(REPO_ROOT, 'node_modules/peer/dist/bin/peerjs.js');
export const RESULTS_DIR = join(REPO_ROOT, 'bench/results');
export const BENCHMARKS_DOC = join(REPO_ROOT, 'docs/benchmarks.md');
export const RAW_BASELINE_PAGE = join(REPO_ROOT, 'bench/pages/raw-baseline.html');
export const TRANSPORT_BENCH_SCRIPT = join(REPO_ROOT, 'dist/bench-web/transport-bench.js');
/** The coturn configuration shipped to operators, which the network-path scenario relays through. */
export const SHIPPED_COTURN_CONFIG_SOURCE = join(REPO_ROOT, 'docs/coturn.conf');
