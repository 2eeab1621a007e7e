// The network lab (support/network-lab.ts) does what later NAT-traversal tests will lean on, shown
// with real processes inside its namespaces: a client behind a site's router reaches the internet as
// the router's address; no site reaches another site's private address; the two NAT kinds map as
// named (asked through the project's own STUN server); and a browser started inside a client
// namespace loads a page from the internet namespace and gathers its private and public addresses.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineBrowser, type Engine } from '../support/engines.js';
import { NetworkLab, LAB_NAMESPACE_PREFIX, type LabSite } from '../support/network-lab.js';

const STUN_SERVER_ENTRY = fileURLToPath(new URL('../../dist/signaling/stun/stun-server.js', import.meta.url));
const SCRIPT_READY_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 2_000;

/** Answers `/whoami` with the address and port the connection came from, and `/` with a page. */
const WHOAMI_HTTP_SERVER = `
import { createServer } from 'node:http';
const server = createServer((request, response) => {
  if (request.url === '/whoami') {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ address: request.socket.remoteAddress, port: request.socket.remotePort }));
    return;
  }
  response.setHeader('content-type', 'text/html');
  response.end('<!doctype html><title>network lab</title><p>served from the internet namespace</p>');
});
server.listen(0, process.argv[1], () => console.log(JSON.stringify({ port: server.address().port })));
`;

const HTTP_GET = `
const response = await fetch(process.argv[1], { signal: AbortSignal.timeout(5000) });
console.log(await response.text());
`;

const TCP_LISTENER = `
import { createServer } from 'node:net';
const server = createServer((socket) => socket.end('hello'));
server.listen(0, process.argv[1], () => console.log(JSON.stringify({ port: server.address().port })));
`;

/** Tries one TCP connection and prints whether it opened, or the error, within a bounded time. */
const TCP_CONNECT_PROBE = `
import { connect } from 'node:net';
const [host, port, timeoutMs] = process.argv.slice(1);
const started = Date.now();
const socket = connect({ host, port: Number(port) });
const report = (outcome) => { console.log(JSON.stringify({ ...outcome, ms: Date.now() - started })); socket.destroy(); process.exit(0); };
socket.setTimeout(Number(timeoutMs), () => report({ error: 'timed out' }));
socket.on('connect', () => report({ connected: true }));
socket.on('error', (error) => report({ error: error.code ?? error.message }));
`;

/** The project's STUN server (built JavaScript: the namespace's node cannot run TypeScript), twice. */
const TWO_STUN_SERVERS = `
const { StunServer } = await import(process.argv[1]);
const servers = [await StunServer.listen({ host: process.argv[2], port: 0 }), await StunServer.listen({ host: process.argv[2], port: 0 })];
console.log(JSON.stringify({ ports: servers.map((server) => server.port) }));
`;

/**
 * One UDP socket asks each STUN server in turn (RFC 8489 Binding request, resent until answered)
 * and prints the XOR-MAPPED-ADDRESS each answered: the address and port that server saw.
 */
const STUN_CLIENT = `
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
const [host, ...ports] = process.argv.slice(1);
const COOKIE = 0x2112a442;
const socket = createSocket('udp4');
await new Promise((resolve) => socket.bind(0, resolve));

function mappedAddress(answer) {
  const end = Math.min(answer.length, 20 + answer.readUInt16BE(2));
  for (let offset = 20; offset + 4 <= end; ) {
    const type = answer.readUInt16BE(offset);
    const length = answer.readUInt16BE(offset + 2);
    const value = offset + 4;
    if (type === 0x0020 && answer[value + 1] === 0x01) {
      const port = answer.readUInt16BE(value + 2) ^ (COOKIE >>> 16);
      const address = [0, 1, 2, 3].map((i) => answer[value + 4 + i] ^ ((COOKIE >>> (24 - 8 * i)) & 0xff)).join('.');
      return { address, port };
    }
    offset = value + Math.ceil(length / 4) * 4;
  }
  throw new Error('no XOR-MAPPED-ADDRESS in the answer');
}

function ask(port) {
  const transactionId = randomBytes(12);
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0);
  request.writeUInt32BE(COOKIE, 4);
  transactionId.copy(request, 8);
  return new Promise((resolve, reject) => {
    let sent = 0;
    const send = () => {
      if (sent++ === 10) return finish(() => reject(new Error('no answer from port ' + port)));
      socket.send(request, port, host);
    };
    const onAnswer = (answer, from) => {
      if (from.port !== port || answer.length < 20 || answer.readUInt16BE(0) !== 0x0101 || !answer.subarray(8, 20).equals(transactionId)) return;
      finish(() => resolve(mappedAddress(answer)));
    };
    const timer = setInterval(send, 300);
    const finish = (settle) => { clearInterval(timer); socket.off('message', onAnswer); settle(); };
    socket.on('message', onAnswer);
    send();
  });
}

const mapped = [];
for (const port of ports.map(Number)) mapped.push({ server: port, ...(await ask(port)) });
console.log(JSON.stringify({ localPort: socket.address().port, mapped }));
socket.close();
`;

interface Mapped {
  server: number;
  address: string;
  port: number;
}

const unavailable = await NetworkLab.unavailableReason();
if (unavailable) console.warn(`[network-lab] SKIPPED: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('the network lab: NAT routers in Linux network namespaces', () => {
  let lab: NetworkLab;
  let endpointIndependent: LabSite;
  let symmetric: LabSite;
  let httpPort: number;
  let stunPorts: number[];

  beforeAll(async () => {
    if (!existsSync(STUN_SERVER_ENTRY)) throw new Error(`${STUN_SERVER_ENTRY} is missing: run \`npm run build:server\` first`);
    const swept = await NetworkLab.sweepLeftovers();
    console.log(`[network-lab] leftovers of earlier runs swept: ${swept.length === 0 ? 'none' : swept.join(', ')}`);
    lab = new NetworkLab({ sites: ['endpoint-independent', 'symmetric'] });
    [endpointIndependent, symmetric] = lab.sites as [LabSite, LabSite];
    const started = Date.now();
    await lab.create();
    console.log(`[network-lab] lab created in ${Date.now() - started} ms: internet ${lab.serverAddress} in ${lab.internetNamespace}; ${lab.sites.map(describeSite).join('; ')}`);
    ({ port: httpPort } = await startScript<{ port: number }>(lab.internetNamespace, WHOAMI_HTTP_SERVER, [lab.serverAddress]));
    ({ ports: stunPorts } = await startScript<{ ports: number[] }>(lab.internetNamespace, TWO_STUN_SERVERS, [pathToFileURL(STUN_SERVER_ENTRY).href, lab.serverAddress]));
  });

  afterAll(async () => {
    if (!lab) return;
    const started = Date.now();
    await lab.destroy();
    const left = await NetworkLab.namespaces(lab.namespacePrefix);
    console.log(`[network-lab] destroyed in ${Date.now() - started} ms; namespaces of this lab left: ${left.length === 0 ? 'none' : left.join(', ')}`);
    expect(left).toEqual([]);
  });

  it('a client reaches a server on the internet, which sees the router’s public address, not the private one', async () => {
    for (const site of lab.sites) {
      const seen = JSON.parse(await runScript(site.clientNamespace, HTTP_GET, [`http://${lab.serverAddress}:${httpPort}/whoami`])) as { address: string; port: number };
      console.log(`[network-lab] site ${site.index} (${site.nat}): client ${site.clientAddress} → server saw ${seen.address}:${seen.port}`);
      expect(seen.address).toBe(site.wanAddress);
    }
  });

  it('no site reaches another site’s private address, nor does the internet', async () => {
    const { port } = await startScript<{ port: number }>(symmetric.clientNamespace, TCP_LISTENER, [symmetric.clientAddress]);
    const probe = async (from: string): Promise<{ connected?: boolean; error?: string; ms: number }> =>
      JSON.parse(await runScript(from, TCP_CONNECT_PROBE, [symmetric.clientAddress, String(port), String(CONNECT_TIMEOUT_MS)]));

    // The control: the listener is there, and its own router reaches it.
    const fromOwnRouter = await probe(symmetric.routerNamespace);
    const fromOtherSite = await probe(endpointIndependent.clientNamespace);
    const fromOtherRouter = await probe(endpointIndependent.routerNamespace);
    const fromInternet = await probe(lab.internetNamespace);
    for (const [who, outcome] of Object.entries({ 'its own router': fromOwnRouter, 'site 0 client': fromOtherSite, 'site 0 router': fromOtherRouter, 'the internet namespace': fromInternet })) {
      console.log(`[network-lab] TCP ${who} → site 1 client ${symmetric.clientAddress}:${port}: ${outcome.connected ? 'connected' : `refused (${outcome.error})`} after ${outcome.ms} ms`);
    }
    expect(fromOwnRouter.connected).toBe(true);
    for (const outcome of [fromOtherSite, fromOtherRouter, fromInternet]) {
      expect(outcome.connected).toBeUndefined();
      expect(outcome.error).toBeDefined();
    }
  });

  it('an endpoint-independent NAT keeps one mapping for every destination; a symmetric one maps each anew', async () => {
    const [first, second] = stunPorts as [number, number];
    const mappings = new Map<LabSite, Mapped[]>();
    for (const site of lab.sites) {
      const { localPort, mapped } = JSON.parse(await runScript(site.clientNamespace, STUN_CLIENT, [lab.serverAddress, String(first), String(second)])) as { localPort: number; mapped: Mapped[] };
      mappings.set(site, mapped);
      console.log(`[network-lab] site ${site.index} (${site.nat}): one socket ${site.clientAddress}:${localPort} → ${mapped.map((entry) => `STUN :${entry.server} saw ${entry.address}:${entry.port}`).join(', ')}`);
      for (const entry of mapped) expect(entry.address).toBe(site.wanAddress);
    }
    const portsOf = (site: LabSite): number[] => mappings.get(site)!.map((entry) => entry.port);
    expect(new Set(portsOf(endpointIndependent)).size).toBe(1);
    expect(new Set(portsOf(symmetric)).size).toBe(2);
  });

  // Chromium is driven over a pipe; Firefox over the relay the lab's wrapper runs (see there).
  describe.each(['chromium', 'firefox'] as const satisfies readonly Engine[])('%s inside a client namespace', (engine) => {
    it('loads a page from the internet namespace by IP literal and gathers its private host and the router’s reflexive address', async () => {
      const site = engine === 'chromium' ? endpointIndependent : symmetric;
      const executablePath = await lab.browserExecutable(site.clientNamespace, engine);
      const launchStarted = Date.now();
      const browser = await EngineBrowser.launch(engine, { executablePath });
      try {
        const launchMs = Date.now() - launchStarted;
        const tab = await browser.openTab();
        const url = `http://${lab.serverAddress}:${httpPort}/`;
        await tab.goto(url);
        const text = await tab.page.evaluate(() => document.body.innerText);
        const candidates = await tab.page.evaluate(async (stunUrl) => {
          const connection = new RTCPeerConnection({ iceServers: [{ urls: stunUrl }] });
          const gathered: string[] = [];
          connection.onicecandidate = (event) => void (event.candidate?.candidate && gathered.push(event.candidate.candidate));
          connection.createDataChannel('gather');
          await connection.setLocalDescription();
          await new Promise<void>((resolve) => {
            connection.onicegatheringstatechange = () => connection.iceGatheringState === 'complete' && resolve();
            setTimeout(resolve, 10_000);
          });
          connection.close();
          return gathered;
        }, `stun:${lab.serverAddress}:${stunPorts[0]}`);
        // candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> …
        const fields = candidates.map((candidate) => candidate.split(' '));
        const ofType = (type: string): string[] => fields.filter((field) => field[7] === type).map((field) => `${field[2]} ${field[4]}:${field[5]}`);
        console.log(`[network-lab] ${engine} ${await browser.version()} in site ${site.index} (launched in ${launchMs} ms) loaded ${url} ("${text.trim()}"); host candidates: ${ofType('host').join(', ') || 'none'}; srflx: ${ofType('srflx').join(', ') || 'none'}`);
        expect(text).toContain('served from the internet namespace');
        expect(fields.some((field) => field[7] === 'host' && field[4] === site.clientAddress)).toBe(true);
        expect(fields.some((field) => field[7] === 'srflx' && field[4] === site.wanAddress)).toBe(true);
        // Nothing of the machine's own network leaks into the namespace.
        expect(fields.every((field) => !field[4]?.startsWith('192.0.2.'))).toBe(true);
        expect(browser.takeProblems()).toEqual([]);
      } finally {
        await browser.close();
      }
    });
  });

  it('the test process reaches a TCP port of the internet namespace through a forward', async () => {
    const forward = await lab.forwardTcp(lab.internetNamespace, lab.serverAddress, httpPort);
    try {
      const response = await fetch(`http://127.0.0.1:${forward.port}/whoami`, { signal: AbortSignal.timeout(5_000) });
      const seen = (await response.json()) as { address: string };
      console.log(`[network-lab] 127.0.0.1:${forward.port} (root namespace) → ${lab.serverAddress}:${httpPort}: server saw ${seen.address}`);
      // The pipe process connects from inside the internet namespace, to its own address.
      expect(seen.address).toBe(lab.serverAddress);
    } finally {
      await forward.close();
    }
  });

  it('takes one more public address on the internet bridge, which every site reaches (for a TURN server of its own)', async () => {
    const address = '203.0.113.2';
    await lab.addPublicAddress(address);
    const { port } = await startScript<{ port: number }>(lab.internetNamespace, WHOAMI_HTTP_SERVER, [address]);
    for (const site of lab.sites) {
      const seen = JSON.parse(await runScript(site.clientNamespace, HTTP_GET, [`http://${address}:${port}/whoami`])) as { address: string };
      console.log(`[network-lab] site ${site.index} client → ${address}:${port}: server saw ${seen.address}`);
      expect(seen.address).toBe(site.wanAddress);
    }
    await expect(lab.addPublicAddress(endpointIndependent.wanAddress)).rejects.toThrow(/not a free address/);
    await expect(lab.addPublicAddress('192.0.2.50')).rejects.toThrow(/not a free address/);
  });

  it('leaves the machine’s own namespace alone: none of its interfaces, addresses or routes is the lab’s', async () => {
    const [links, addresses, routes] = await Promise.all([runHere('ip', ['-o', 'link']), runHere('ip', ['-o', 'address']), runHere('ip', ['route'])]);
    const inside = await lab.runIn(endpointIndependent.routerNamespace, 'ip', ['-br', 'address']);
    console.log(`[network-lab] site 0 router's interfaces: ${inside.stdout.trim().replace(/\s+/g, ' ')}`);
    const ownLines = [links, addresses, routes].flatMap(({ stdout }) => stdout.split('\n'));
    expect(ownLines.filter((line) => /203\.0\.113\.|198\.51\.100\./.test(line) || line.includes(lab.interfacePrefix))).toEqual([]);
  });

  it('a sweep removes what a crashed run left, processes inside included, and leaves live labs alone', async () => {
    // A pid that just ended stands for a test process that crashed with its lab built.
    const ended = spawn('true');
    await new Promise((resolve) => ended.once('exit', resolve));
    const leftover = `${LAB_NAMESPACE_PREFIX}${ended.pid}-1-inet`;
    await runHere('ip', ['netns', 'add', leftover]);
    const straggler = spawn('ip', ['netns', 'exec', leftover, 'sleep', '60'], { stdio: 'ignore' });
    const stragglerEnded = new Promise((resolve) => straggler.once('exit', (_code, signal) => resolve(signal)));
    const swept = await NetworkLab.sweepLeftovers();
    console.log(`[network-lab] sweep removed ${swept.join(', ')}; the process inside ended by ${await stragglerEnded}; this lab's namespaces still there: ${(await NetworkLab.namespaces(lab.namespacePrefix)).length}`);
    expect(swept).toContain(leftover);
    expect(await NetworkLab.namespaces(leftover)).toEqual([]);
    expect(await NetworkLab.namespaces(lab.namespacePrefix)).toHaveLength(1 + 2 * lab.sites.length);
  });

  it('a create() that fails half-way leaves nothing behind', async () => {
    const doomed = new NetworkLab({ sites: ['endpoint-independent', 'endpoint-independent'] });
    // A namespace already holding the second router's name makes `ip netns add` fail there, after
    // the internet and the first site are built.
    await runHere('ip', ['netns', 'add', doomed.sites[1]!.routerNamespace]);
    const error = await doomed.create().then(
      () => undefined,
      (reason: unknown) => (reason instanceof Error ? reason.message : String(reason)),
    );
    await doomed.destroy();
    const left = await NetworkLab.namespaces(doomed.namespacePrefix);
    console.log(`[network-lab] a failed create(): "${error?.split('\n')[0]}"; namespaces left: ${left.length === 0 ? 'none' : left.join(', ')}`);
    expect(error).toMatch(/netns add/);
    expect(left).toEqual([]);
  });

  /** Starts a Node script in a namespace and waits for the JSON line it prints when ready. */
  async function startScript<Ready>(namespace: string, source: string, args: readonly string[]): Promise<Ready> {
    const child = lab.spawnIn(namespace, process.execPath, ['--input-type=module', '-e', source, ...args]);
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line within ${SCRIPT_READY_TIMEOUT_MS} ms in ${namespace}: ${stderr}`)), SCRIPT_READY_TIMEOUT_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split('\n')[0];
        if (stdout.includes('\n') && line) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Ready);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`script in ${namespace} exited (${code}) before it was ready: ${stderr}`));
      });
    });
  }

  /** Runs a Node script in a namespace to its end and returns what it printed. */
  async function runScript(namespace: string, source: string, args: readonly string[]): Promise<string> {
    const { stdout } = await lab.runIn(namespace, process.execPath, ['--input-type=module', '-e', source, ...args], { timeoutMs: 10_000 });
    return stdout.trim();
  }
});

const runHere = promisify(execFile);

function describeSite(site: LabSite): string {
  return `site ${site.index} (${site.nat}): router ${site.wanAddress} ⇄ ${site.routerLanAddress}, client ${site.clientAddress}`;
}
