// A lab of Linux network namespaces that stands in for the internet and for home routers with NAT,
// so that end-to-end tests can put real browsers behind real NATs on one machine (shared/TESTING.md,
// "Network namespaces"). Root only. It uses only the documentation ranges 203.0.113.0/24 (the
// "internet") and 198.51.100.0/24 (the homes): 192.0.2.0/24 is this machine's own network.
//
//   internet namespace: bridge, 203.0.113.1/24 (servers run here)
//     ├─ site 0 router: WAN 203.0.113.10 ─ NAT ─ LAN 198.51.100.1/28 ── client 198.51.100.2
//     ├─ site 1 router: WAN 203.0.113.11 ─ NAT ─ LAN 198.51.100.17/28 ── client 198.51.100.18
//     └─ …
//
// Every veth is created straight inside its namespaces, so nothing ever appears in the machine's
// own namespace and deleting a lab's namespaces deletes all it made.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * How a site's router maps its LAN onto its WAN address.
 * - `endpoint-independent`: one mapping per local socket, whatever the destination (plain
 *   `masquerade` keeps the source port), so an address learnt from STUN works toward any peer.
 * - `symmetric`: a fresh random port for each destination (`masquerade fully-random`), so a
 *   STUN-learnt address is useless to a peer and only a relay (TURN) gets through.
 */
export type NatKind = 'endpoint-independent' | 'symmetric';

export type LabBrowser = 'chromium' | 'firefox';

export interface NetworkLabOptions {
  /** One NAT kind a site, in site order; at least two sites, at most 16. */
  sites: readonly NatKind[];
}

/** One home: a NAT router and the one client machine behind it. */
export interface LabSite {
  readonly index: number;
  readonly nat: NatKind;
  readonly routerNamespace: string;
  readonly clientNamespace: string;
  /** The router's public address: what servers on the internet see the client as. */
  readonly wanAddress: string;
  /** The site's private subnet, in CIDR form. */
  readonly lanSubnet: string;
  readonly routerLanAddress: string;
  /** The client's private address; no other site can reach it. */
  readonly clientAddress: string;
}

/** A loopback port of the test's own namespace that leads to a TCP port inside a lab namespace. */
export interface TcpForward {
  readonly port: number;
  close(): Promise<void>;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Every namespace of every lab starts with this, so a later run can find what a crashed one left. */
export const LAB_NAMESPACE_PREFIX = 'plab-';

export const LAB_SERVER_ADDRESS = '203.0.113.1';
const PUBLIC_PREFIX_LENGTH = 24;
const PUBLIC_NETWORK = '203.0.113.';
const HOME_NETWORK = '198.51.100.';
/** Each site's LAN is a /28 of 198.51.100.0/24, so sixteen sites fit. */
const SITE_SUBNET_SIZE = 16;
const MAX_SITES = 256 / SITE_SUBNET_SIZE;
const WAN_HOST_BASE = 10;
/** Linux's limit on an interface name (IFNAMSIZ - 1). */
const MAX_INTERFACE_NAME_LENGTH = 15;
const COMMAND_TIMEOUT_MS = 10_000;
const PROCESS_EXIT_WAIT_MS = 3_000;

const CHROMIUM_BINARY = process.env.CHROMIUM_BINARY ?? '/usr/lib/chromium/chromium';
const FIREFOX_BINARY = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** Labs of this process that are built or being built, which a sweep must leave alone. */
const liveLabPrefixes = new Set<string>();
let labSerial = 0;

/**
 * Run inside a namespace by forwardTcp: joins its stdin/stdout to a TCP connection, so that a
 * process outside the namespace can talk to a port only reachable from inside.
 */
const TCP_PIPE_SCRIPT = `
import { connect } from 'node:net';
const [host, port] = process.argv.slice(1);
const socket = connect(Number(port), host);
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('error', () => process.exit(1));
socket.on('close', () => process.exit(0));
`;

/**
 * Builds and tears down one lab. `new NetworkLab(options)` only names things; `create()` builds
 * them; `destroy()` removes whatever exists, also after a `create()` that failed half-way.
 */
export class NetworkLab {
  readonly serverAddress = LAB_SERVER_ADDRESS;
  readonly internetNamespace: string;
  readonly sites: readonly LabSite[];
  /** Every namespace of this lab starts with it: `plab-<pid>-<serial>-`. */
  readonly namespacePrefix: string;
  /** The short form of the same that starts every interface name (15 characters at most). */
  readonly interfacePrefix: string;
  readonly #bridge: string;
  readonly #publicAddresses = new Set<string>([LAB_SERVER_ADDRESS]);
  readonly #namespacesMade: string[] = [];
  readonly #children = new Set<ChildProcess>();
  readonly #forwards = new Set<TcpForward>();
  readonly #wrappers = new Map<string, string>();
  #tempDir: string | undefined;
  #state: 'new' | 'created' | 'destroyed' = 'new';

  constructor({ sites }: NetworkLabOptions) {
    if (sites.length < 2 || sites.length > MAX_SITES) throw new Error(`a lab has 2 to ${MAX_SITES} sites, not ${sites.length}`);
    labSerial += 1;
    this.interfacePrefix = `pl${process.pid.toString(36)}${labSerial.toString(36)}`;
    this.namespacePrefix = `${LAB_NAMESPACE_PREFIX}${process.pid}-${labSerial}-`;
    this.internetNamespace = `${this.namespacePrefix}inet`;
    this.#bridge = this.#interfaceName('br');
    this.sites = sites.map((nat, index) => {
      const lanBase = index * SITE_SUBNET_SIZE;
      return {
        index,
        nat,
        routerNamespace: `${this.namespacePrefix}r${index}`,
        clientNamespace: `${this.namespacePrefix}c${index}`,
        wanAddress: `${PUBLIC_NETWORK}${WAN_HOST_BASE + index}`,
        lanSubnet: `${HOME_NETWORK}${lanBase}/28`,
        routerLanAddress: `${HOME_NETWORK}${lanBase + 1}`,
        clientAddress: `${HOME_NETWORK}${lanBase + 2}`,
      };
    });
  }

  /**
   * Why this machine cannot build a lab, in words for a skipped test, or undefined when it can. It
   * tries the real thing: a namespace made and removed, and nft run inside it.
   */
  static async unavailableReason(): Promise<string | undefined> {
    if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
    if (process.getuid?.() !== 0) return 'network namespaces need root (run the tests as root)';
    for (const [tool, args, packageName] of [
      ['ip', ['-V'], 'iproute2'],
      ['nft', ['--version'], 'nftables'],
    ] as const) {
      try {
        await run(tool, [...args]);
      } catch (error) {
        return `\`${tool}\` cannot run (install the ${packageName} package): ${describeError(error)}`;
      }
    }
    // Serial 0 is never a lab's, so a sweep by another process sees the probe as ours while we run.
    const probe = `${LAB_NAMESPACE_PREFIX}${process.pid}-0-probe`;
    try {
      await run('ip', ['netns', 'add', probe]);
    } catch (error) {
      return `\`ip netns add\` is not permitted here: ${describeError(error)}`;
    }
    try {
      await run('ip', ['netns', 'exec', probe, 'nft', 'list', 'ruleset']);
    } catch (error) {
      return `nft cannot run inside a network namespace: ${describeError(error)}`;
    } finally {
      await run('ip', ['netns', 'delete', probe]).catch(() => undefined);
    }
    return undefined;
  }

  /**
   * Removes the namespaces of labs whose process is gone (a crashed or killed run), with the
   * processes still in them. Returns the names removed.
   */
  static async sweepLeftovers(): Promise<string[]> {
    const swept: string[] = [];
    for (const namespace of await listNamespaces()) {
      if (!namespace.startsWith(LAB_NAMESPACE_PREFIX) || isLive(namespace)) continue;
      await removeNamespace(namespace);
      swept.push(namespace);
    }
    return swept;
  }

  /** The namespaces on this machine whose name starts with `prefix` (by default: every lab's). */
  static async namespaces(prefix: string = LAB_NAMESPACE_PREFIX): Promise<string[]> {
    return (await listNamespaces()).filter((namespace) => namespace.startsWith(prefix));
  }

  /** Builds the lab, first sweeping what crashed runs left. On failure it removes what it made. */
  async create(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`this lab was already ${this.#state}`);
    liveLabPrefixes.add(this.namespacePrefix);
    try {
      await NetworkLab.sweepLeftovers();
      this.#tempDir = await mkdtemp(join(tmpdir(), 'parley-network-lab-'));
      await this.#buildInternet();
      for (const site of this.sites) await this.#buildSite(site);
      this.#state = 'created';
    } catch (error) {
      await this.destroy();
      throw error;
    }
  }

  /**
   * Gives the internet namespace's bridge one more public address (203.0.113.0/24, not a router's),
   * for a second server such as a TURN server on its own address.
   */
  async addPublicAddress(address: string): Promise<void> {
    this.#assertCreated();
    const host = Number(address.startsWith(PUBLIC_NETWORK) ? address.slice(PUBLIC_NETWORK.length) : NaN);
    const takenByRouter = host >= WAN_HOST_BASE && host < WAN_HOST_BASE + this.sites.length;
    if (!Number.isInteger(host) || host < 1 || host > 254 || takenByRouter || this.#publicAddresses.has(address)) {
      throw new Error(`${address} is not a free address of ${PUBLIC_NETWORK}0/${PUBLIC_PREFIX_LENGTH} in this lab`);
    }
    await run('ip', ['-n', this.internetNamespace, 'address', 'add', `${address}/${PUBLIC_PREFIX_LENGTH}`, 'dev', this.#bridge]);
    this.#publicAddresses.add(address);
  }

  /**
   * Starts a process inside a namespace of this lab; destroy() ends it if it still runs. Its stdout
   * and stderr are pipes unless `options.stdio` says otherwise: read them, or the process stalls.
   */
  spawnIn(namespace: string, command: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
    this.#assertOwn(namespace);
    const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    // Unheard, a failed spawn would throw in the test process; callers hear of it through their own
    // 'error' or 'exit' listeners.
    child.on('error', () => undefined);
    return child;
  }

  /** Runs a command inside a namespace to its end; rejects on a non-zero exit or after the timeout. */
  runIn(namespace: string, command: string, args: readonly string[] = [], { timeoutMs = COMMAND_TIMEOUT_MS, input }: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
    this.#assertOwn(namespace);
    return run('ip', ['netns', 'exec', namespace, command, ...args], { timeoutMs, input });
  }

  /**
   * The path of an executable that starts the browser inside `namespace`, for puppeteer's or
   * Playwright's `executablePath`. The test keeps driving it from outside: Chromium over a pipe
   * (launch it with `pipe: true`), Firefox over a WebSocket that a relay carries out of the
   * namespace (its BiDi server listens on the namespace's own loopback).
   */
  async browserExecutable(namespace: string, browser: LabBrowser): Promise<string> {
    this.#assertCreated();
    this.#assertOwn(namespace);
    const key = `${browser}-${namespace}`;
    const existing = this.#wrappers.get(key);
    if (existing) return existing;
    const path = join(this.#tempDir!, `${key}.sh`);
    const script = browser === 'chromium' ? this.#chromiumWrapper(namespace) : `#!/bin/sh\nexec ${process.execPath} ${await this.#firefoxRelayScript()} ${namespace} ${FIREFOX_BINARY} "$@"\n`;
    await writeFile(path, script);
    await chmod(path, 0o755);
    this.#wrappers.set(key, path);
    return path;
  }

  /**
   * Opens a loopback port in the test's own namespace that leads to `host:port` as seen from inside
   * `namespace` (each connection is carried by a small process started in the namespace).
   */
  async forwardTcp(namespace: string, host: string, port: number): Promise<TcpForward> {
    this.#assertCreated();
    this.#assertOwn(namespace);
    const connections = new Set<Socket>();
    const server: Server = createServer((connection) => {
      connections.add(connection);
      const pipe = this.spawnIn(namespace, process.execPath, ['--input-type=module', '-e', TCP_PIPE_SCRIPT, host, String(port)], { stdio: ['pipe', 'pipe', 'ignore'] });
      connection.pipe(pipe.stdin!);
      pipe.stdout!.pipe(connection);
      pipe.stdin!.on('error', () => connection.destroy());
      pipe.once('exit', () => connection.end());
      connection.on('error', () => pipe.kill('SIGKILL'));
      connection.once('close', () => {
        connections.delete(connection);
        pipe.kill('SIGKILL');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const forward: TcpForward = {
      port: typeof address === 'object' && address ? address.port : 0,
      close: () =>
        new Promise<void>((resolve) => {
          this.#forwards.delete(forward);
          for (const connection of connections) connection.destroy();
          server.close(() => resolve());
        }),
    };
    this.#forwards.add(forward);
    return forward;
  }

  /**
   * Removes everything this lab made: its processes, namespaces (and with them every veth, the
   * bridge and the nft rules) and its temp dir. Safe to call more than once and after a failed
   * create().
   */
  async destroy(): Promise<void> {
    this.#state = 'destroyed';
    for (const forward of [...this.#forwards]) await forward.close();
    for (const child of this.#children) if (child.pid !== undefined && child.exitCode === null) killQuietly(child.pid);
    // Namespaces a failed `ip netns add` may still have made are found by name, not only by record.
    const ours = (await listNamespaces().catch(() => [])).filter((namespace) => namespace.startsWith(this.namespacePrefix));
    for (const namespace of new Set([...this.#namespacesMade, ...ours])) await removeNamespace(namespace);
    this.#namespacesMade.length = 0;
    if (this.#tempDir) await rm(this.#tempDir, { recursive: true, force: true });
    this.#tempDir = undefined;
    liveLabPrefixes.delete(this.namespacePrefix);
  }

  async #buildInternet(): Promise<void> {
    const inet = this.internetNamespace;
    await this.#addNamespace(inet, { forwarding: false });
    await run('ip', ['-n', inet, 'link', 'add', this.#bridge, 'type', 'bridge', 'forward_delay', '0']);
    await run('ip', ['-n', inet, 'address', 'add', `${LAB_SERVER_ADDRESS}/${PUBLIC_PREFIX_LENGTH}`, 'dev', this.#bridge]);
    await run('ip', ['-n', inet, 'link', 'set', this.#bridge, 'up']);
    // The real internet routes everywhere: a packet to a home's private address is sent and lost,
    // not refused. Without a default route a send fails with "network unreachable", and coturn
    // stops relaying for an allocation after one (a relayed link died a second after it opened).
    // So the default route leads to a link with nothing on its other end.
    const nowhere = this.#interfaceName('nw');
    const nowhereEnd = this.#interfaceName('ne');
    await run('ip', ['-n', inet, 'link', 'add', nowhere, 'type', 'veth', 'peer', 'name', nowhereEnd]);
    await run('ip', ['-n', inet, 'link', 'set', nowhere, 'arp', 'off', 'up']);
    await run('ip', ['-n', inet, 'link', 'set', nowhereEnd, 'up']);
    await run('ip', ['-n', inet, 'route', 'add', 'default', 'dev', nowhere]);
  }

  async #buildSite(site: LabSite): Promise<void> {
    const router = site.routerNamespace;
    const client = site.clientNamespace;
    const wan = this.#interfaceName(`r${site.index}w`);
    const wanBridgePort = this.#interfaceName(`r${site.index}b`);
    const lan = this.#interfaceName(`r${site.index}l`);
    const clientInterface = this.#interfaceName(`c${site.index}`);
    await this.#addNamespace(router, { forwarding: true });
    await this.#addNamespace(client, { forwarding: false });

    await run('ip', ['link', 'add', wan, 'netns', router, 'type', 'veth', 'peer', 'name', wanBridgePort, 'netns', this.internetNamespace]);
    await run('ip', ['-n', this.internetNamespace, 'link', 'set', wanBridgePort, 'master', this.#bridge, 'up']);
    await run('ip', ['-n', router, 'address', 'add', `${site.wanAddress}/${PUBLIC_PREFIX_LENGTH}`, 'dev', wan]);
    await run('ip', ['-n', router, 'link', 'set', wan, 'up']);

    const lanPrefixLength = site.lanSubnet.split('/')[1]!;
    await run('ip', ['link', 'add', lan, 'netns', router, 'type', 'veth', 'peer', 'name', clientInterface, 'netns', client]);
    await run('ip', ['-n', router, 'address', 'add', `${site.routerLanAddress}/${lanPrefixLength}`, 'dev', lan]);
    await run('ip', ['-n', router, 'link', 'set', lan, 'up']);
    await run('ip', ['-n', client, 'address', 'add', `${site.clientAddress}/${lanPrefixLength}`, 'dev', clientInterface]);
    await run('ip', ['-n', client, 'link', 'set', clientInterface, 'up']);
    await run('ip', ['-n', client, 'route', 'add', 'default', 'via', site.routerLanAddress]);

    // The router has no route to any other LAN (only its own two subnets), and like a home router
    // it lets in from the WAN only what answers a connection its LAN opened. Unsolicited packets to
    // the router itself are dropped in `input` too, before conntrack confirms an entry for them: a
    // peer's first hole-punching packet, arriving before our own went out, would otherwise hold the
    // address and port pair our reply needs, and the reply would leave from another port.
    const masquerade = site.nat === 'symmetric' ? 'masquerade fully-random' : 'masquerade';
    const ruleset = [
      'table ip parley_lab {',
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      `    oifname "${wan}" ${masquerade}`,
      '  }',
      '  chain forward {',
      '    type filter hook forward priority filter; policy drop;',
      '    ct state established,related accept',
      `    iifname "${lan}" oifname "${wan}" accept`,
      '  }',
      '  chain input {',
      '    type filter hook input priority filter; policy accept;',
      `    iifname "${wan}" ct state new drop`,
      '  }',
      '}',
      '',
    ].join('\n');
    await run('ip', ['netns', 'exec', router, 'nft', '-f', '-'], { input: ruleset });
  }

  /** A namespace with loopback up, IPv4 only (no link-local IPv6 candidates), forwarding as asked. */
  async #addNamespace(namespace: string, { forwarding }: { forwarding: boolean }): Promise<void> {
    await run('ip', ['netns', 'add', namespace]);
    this.#namespacesMade.push(namespace);
    // A new namespace copies IPv4 settings such as ip_forward from the machine's own: set it either way.
    const settings = {
      'net/ipv4/ip_forward': forwarding ? '1' : '0',
      'net/ipv6/conf/all/disable_ipv6': '1',
      'net/ipv6/conf/default/disable_ipv6': '1',
    };
    const writes = Object.entries(settings).map(([key, value]) => `echo ${value} > /proc/sys/${key}`);
    await run('ip', ['netns', 'exec', namespace, 'sh', '-c', writes.join(' && ')]);
    await run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
  }

  /**
   * Starts Chromium in the namespace. A `--host-resolver-rules` rule `MAP * ~NOTFOUND` (the tests'
   * guard against DNS lookups) also catches IP literals, so the lab's public network is added to
   * its exclusions: pages there are loaded by address.
   */
  #chromiumWrapper(namespace: string): string {
    return [
      '#!/bin/sh',
      'for arg do',
      '  shift',
      '  case "$arg" in',
      `    --host-resolver-rules=*) arg="$arg, EXCLUDE ${PUBLIC_NETWORK}*" ;;`,
      '  esac',
      '  set -- "$@" "$arg"',
      'done',
      `exec ip netns exec ${namespace} ${CHROMIUM_BINARY} "$@"`,
      '',
    ].join('\n');
  }

  /** Writes the Firefox relay once into the lab's temp dir and returns its path. */
  async #firefoxRelayScript(): Promise<string> {
    const path = join(this.#tempDir!, 'firefox-relay.mjs');
    await writeFile(path, FIREFOX_RELAY_SCRIPT);
    return path;
  }

  #interfaceName(role: string): string {
    const name = `${this.interfacePrefix}${role}`;
    if (name.length > MAX_INTERFACE_NAME_LENGTH) throw new Error(`interface name ${name} is longer than ${MAX_INTERFACE_NAME_LENGTH} characters`);
    return name;
  }

  #assertCreated(): void {
    if (this.#state !== 'created') throw new Error(`the lab is ${this.#state}, not created`);
  }

  #assertOwn(namespace: string): void {
    if (!namespace.startsWith(this.namespacePrefix)) throw new Error(`${namespace} is not a namespace of this lab`);
  }
}

/**
 * Run in the machine's own namespace as Firefox's "executable": starts Firefox in the namespace and
 * carries puppeteer's WebDriver BiDi connection in, since Firefox listens on the namespace's own
 * loopback. Firefox refuses a handshake whose Host header names another port than its own, so the
 * relay listens out here on the same port number Firefox is told to use in there (free there: the
 * namespace holds only the lab's processes).
 */
const FIREFOX_RELAY_SCRIPT = `
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const [namespace, binary, ...args] = process.argv.slice(2);
const PIPE = ${JSON.stringify(TCP_PIPE_SCRIPT)};
const pipes = new Set();
const relay = createServer((connection) => {
  const pipe = spawn('ip', ['netns', 'exec', namespace, process.execPath, '--input-type=module', '-e', PIPE, '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'ignore'] });
  pipes.add(pipe);
  pipe.once('exit', () => { pipes.delete(pipe); connection.end(); });
  connection.pipe(pipe.stdin);
  pipe.stdout.pipe(connection);
  pipe.stdin.on('error', () => connection.destroy());
  connection.on('error', () => pipe.kill('SIGKILL'));
  connection.once('close', () => pipe.kill('SIGKILL'));
});
await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));
const port = relay.address().port;

// Firefox prints the BiDi address on stderr, which puppeteer reads: it is the relay's as well.
const firefoxArgs = [...args.filter((arg) => !arg.startsWith('--remote-debugging-port')), '--remote-debugging-port=' + port];
const firefox = spawn('ip', ['netns', 'exec', namespace, binary, ...firefoxArgs], { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => firefox.kill(signal));
firefox.once('exit', (code, signal) => {
  for (const pipe of pipes) pipe.kill('SIGKILL');
  process.exit(code ?? (signal ? 1 : 0));
});
`;

function run(command: string, args: readonly string[], { timeoutMs = COMMAND_TIMEOUT_MS, input }: { timeoutMs?: number; input?: string | undefined } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, [...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`\`${command} ${args.join(' ')}\` failed: ${stderr.trim() || error.message}`));
      else resolve({ stdout, stderr });
    });
    // A command that exits without reading its input closes the pipe early; its exit status says
    // what happened, not the EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  // Each line is "name" or "name (id: N)".
  return stdout
    .split('\n')
    .map((line) => line.trim().split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

/** A namespace belongs to a live lab when the process in its name runs and, if it is us, the lab does. */
function isLive(namespace: string): boolean {
  const match = new RegExp(`^${LAB_NAMESPACE_PREFIX}(\\d+)-(\\d+)-`).exec(namespace);
  if (!match) return false;
  const pid = Number(match[1]);
  if (pid === process.pid) return liveLabPrefixes.has(`${LAB_NAMESPACE_PREFIX}${pid}-${match[2]}-`);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but is not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Ends the processes still inside a namespace (only lab processes live there), then deletes it. */
async function removeNamespace(namespace: string): Promise<void> {
  const deadline = Date.now() + PROCESS_EXIT_WAIT_MS;
  for (;;) {
    const pids = await namespacePids(namespace);
    if (pids.length === 0 || Date.now() > deadline) break;
    for (const pid of pids) killQuietly(pid);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await run('ip', ['netns', 'delete', namespace]).catch((error: unknown) => {
    // Already gone (deleted by another path) is the outcome wanted; anything else is worth knowing.
    if (!/No such file|not found|does not exist/i.test(describeError(error))) throw error;
  });
}

async function namespacePids(namespace: string): Promise<number[]> {
  const { stdout } = await run('ip', ['netns', 'pids', namespace]).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already exited between listing and killing: nothing left to end.
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
