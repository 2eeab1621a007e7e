// A real nginx in front of Parley servers, run in the foreground by the test with its own config
// (shared/TESTING.md). The configs are the documented ones: the README's location block, and the
// whole TLS setup of docs/self-hosting.md, so the documented setups are what runs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const SELF_HOSTING = fileURLToPath(new URL('../../docs/self-hosting.md', import.meta.url));
export const NGINX = '/usr/sbin/nginx';
export const OPENSSL = '/usr/bin/openssl';
const READY_TIMEOUT_MS = 10_000;

/** The ```nginx block of the README, with its upstream pointed at `upstreamPort`. */
export function readmeLocationBlock(upstreamPort: number): string {
  const block = /```nginx\n([\s\S]*?)```/.exec(readFileSync(README, 'utf8'))?.[1];
  if (!block) throw new Error('README.md has no ```nginx block');
  if (!block.includes('http://127.0.0.1:8080')) throw new Error('the README nginx block no longer proxies to http://127.0.0.1:8080');
  return block.replace('http://127.0.0.1:8080', `http://127.0.0.1:${upstreamPort}`);
}

/** What the test puts in place of the machine-specific parts of docs/self-hosting.md's config. */
export interface SelfHostingNginxPlaces {
  /** Ports of the Parley instances on 127.0.0.1, in place of the documented 8080 and 8081. */
  instancePorts: readonly [number, number];
  /** Loopback port of the TLS server, in place of 443. */
  httpsPort: number;
  /** Loopback port of the redirecting plain-HTTP server, in place of 80. */
  httpPort: number;
  certificate: SelfSignedCertificate;
}

/**
 * The ```nginx block of docs/self-hosting.md (map, upstream and both servers, as they go into
 * nginx's http context), with only its ports and certificate paths replaced: each replaced line
 * must be found exactly as documented, so that the doc cannot drift from what the test runs.
 */
export function selfHostingNginxConfig({ instancePorts, httpsPort, httpPort, certificate }: SelfHostingNginxPlaces): string {
  const block = /```nginx\n([\s\S]*?)```/.exec(readFileSync(SELF_HOSTING, 'utf8'))?.[1];
  if (!block) throw new Error('docs/self-hosting.md has no ```nginx block');
  const replacements: [string, string][] = [
    ['server 127.0.0.1:8080;', `server 127.0.0.1:${instancePorts[0]};`],
    ['server 127.0.0.1:8081;', `server 127.0.0.1:${instancePorts[1]};`],
    ['listen 443 ssl;', `listen 127.0.0.1:${httpsPort} ssl;`],
    ['listen 80;', `listen 127.0.0.1:${httpPort};`],
    ['/etc/letsencrypt/live/chat.example.org/fullchain.pem', certificate.certificatePath],
    ['/etc/letsencrypt/live/chat.example.org/privkey.pem', certificate.keyPath],
  ];
  let config = block;
  for (const [documented, local] of replacements) {
    if (config.split(documented).length !== 2) throw new Error(`docs/self-hosting.md's nginx block should hold "${documented}" exactly once`);
    config = config.replace(documented, local);
  }
  return config;
}

export interface SelfSignedCertificate {
  certificatePath: string;
  keyPath: string;
  /** The certificate, PEM: for Node clients to trust it as their one authority. */
  pem: string;
  /**
   * base64 SHA-256 of its public key (SPKI): for Chromium's --ignore-certificate-errors-spki-list,
   * which accepts this one key rather than every certificate.
   */
  spkiSha256: string;
}

/** A P-256 certificate for localhost and 127.0.0.1, good for a day, in `dir` (shared/TESTING.md). */
export function makeSelfSignedCertificate(dir: string): SelfSignedCertificate {
  const certificatePath = join(dir, 'certificate.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync(
    OPENSSL,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyPath, '-out', certificatePath],
    { stdio: 'pipe' },
  );
  const pem = readFileSync(certificatePath, 'utf8');
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return { certificatePath, keyPath, pem, spkiSha256: createHash('sha256').update(spki).digest('base64') };
}

export interface RunningNginx {
  port: number;
  /** http://127.0.0.1:<port>, or https:// for a TLS server. */
  origin: string;
  /** What nginx wrote to its error log and output so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts nginx on a free loopback port with `locationBlock` as its one server's location. */
export async function startNginx(locationBlock: string): Promise<RunningNginx> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const http = `
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port};
    ${locationBlock}
  }`;
  return runNginx(http, port, origin, () =>
    fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    ),
  );
}

/**
 * Starts nginx with `httpContext` (whole server blocks and what goes beside them) as the body of
 * its http block; resolves once https://127.0.0.1:`httpsPort`/healthz answers 200 through it,
 * checked against `certificate` alone.
 */
export async function startNginxWithTls(httpContext: string, httpsPort: number, certificate: SelfSignedCertificate): Promise<RunningNginx> {
  const origin = `https://127.0.0.1:${httpsPort}`;
  return runNginx(httpContext, httpsPort, origin, () => answersOverTls(`${origin}/healthz`, certificate.pem));
}

async function answersOverTls(url: string, ca: string): Promise<boolean> {
  return getOverTls(url, ca).then(
    (response) => response.status === 200,
    () => false,
  );
}

/**
 * GET over https, trusting `ca` alone (Node's fetch cannot be given a certificate authority
 * without another package). Resolves with the status and headers; the body is read and dropped.
 */
export function getOverTls(url: string, ca: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = httpsGet(url, { ca, timeout: 1000 }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
    request.once('error', reject);
    request.once('timeout', () => request.destroy(new Error(`no answer from ${url} within 1 s`)));
  });
}

async function runNginx(httpContext: string, port: number, origin: string, answers: () => Promise<boolean>): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-nginx-'));
  for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, temp));
  const config = `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${httpContext}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), config);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errorLog = (): string => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    // A config error goes to the error log (-e), not to the output.
    if (child.exitCode !== null) throw new Error(`nginx exited:\n${output}${errorLog()}`);
    if (await answers()) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not answer on ${port}:\n${output}${errorLog()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    origin,
    output: () => `${output}${errorLog()}`,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
