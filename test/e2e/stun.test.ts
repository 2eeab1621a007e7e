// The built-in STUN server asked by real browsers: Chromium's and Firefox's ICE agents send their
// Binding requests to it while gathering and take its answer as a server-reflexive candidate when
// the mapped address differs from their own. Here that is loopback (a request to 127.0.0.1 comes
// from 127.0.0.1); behind a real NAT it is the router's public side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineBrowser, type Engine } from '../support/engines.js';
import { StunServer } from '../../signaling/stun/stun-server.js';
import { bindingSuccess, parseBindingRequest } from '../../signaling/stun/binding.js';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

const browsers = new Map<Engine, EngineBrowser>();
let server: StunServer;

beforeAll(async () => {
  // Firefox asks no STUN server on a loopback address unless told it may (a real one never is).
  const firefoxPrefs = { 'media.peerconnection.ice.loopback': true };
  for (const engine of ['chromium', 'firefox'] as const) browsers.set(engine, await EngineBrowser.launch(engine, { firefoxPrefs }));
  server = await StunServer.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  for (const browser of browsers.values()) await browser.close();
  await server?.close();
});

interface Gathered {
  candidates: string[];
  errors: string[];
}

async function gather(engine: Engine, stunUrl: string, waitMs = 15_000): Promise<Gathered> {
  const { page } = await browsers.get(engine)!.openTab();
  try {
    return await page.evaluate(async ([url, wait]) => {
      const pc = new RTCPeerConnection({ iceServers: [{ urls: url }] });
      const result: Gathered = { candidates: [], errors: [] };
      pc.onicecandidate = (event) => void (event.candidate && result.candidates.push(event.candidate.candidate));
      pc.onicecandidateerror = (event) => void result.errors.push(`${event.errorCode} ${event.errorText} (${event.url})`);
      pc.createDataChannel('gather');
      await pc.setLocalDescription();
      await new Promise<void>((resolve) => {
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
        setTimeout(resolve, wait);
      });
      pc.close();
      return result;
    }, [stunUrl, waitMs] as const);
  } finally {
    await browsers.get(engine)!.closeTabs();
  }
}

describe.each(['chromium', 'firefox'] as const)("the built-in STUN server, asked by %s's ICE agent", (engine) => {
  it('is asked while gathering, and the browser takes its answer: a server-reflexive candidate at the address it reported', async () => {
    const before = server.counters.answered;
    const gathered = await gather(engine, `stun:127.0.0.1:${server.port}`);
    const fields = gathered.candidates.map((candidate) => candidate.split(' '));
    console.log(`[stun] ${engine} candidates: ${fields.map((field) => field.slice(4, 8).join(' ')).join(' | ')}; answered ${server.counters.answered - before}`);
    expect(gathered.errors).toEqual([]);
    expect(server.counters.answered - before).toBeGreaterThan(0);
    // The request left the host socket for 127.0.0.1, so it came from 127.0.0.1 and the host
    // candidate's port: the address the server put in XOR-MAPPED-ADDRESS, which differs from the
    // host address, so the browser lists it as a server-reflexive candidate.
    // Firefox keeps no server-reflexive candidate on a loopback address: there, that it asked and
    // took the answer without an ICE error is what loopback can show.
    if (engine === 'chromium') {
      const reflexive = fields.find((field) => field[7] === 'srflx');
      expect(reflexive?.[4]).toBe('127.0.0.1');
      expect(fields.some((field) => field[7] === 'host' && field[5] === reflexive?.[5])).toBe(true);
    }
  });

  it('the control: a server that answers with another transaction id gives the browser nothing', async () => {
    const wrong = createSocket('udp4');
    await new Promise<void>((resolve) => wrong.bind(0, '127.0.0.1', resolve));
    let asked = 0;
    wrong.on('message', (request, from) => {
      asked += 1;
      if (parseBindingRequest(request).kind !== 'binding') return;
      wrong.send(bindingSuccess(randomBytes(12), from.address, from.port), from.port, from.address);
    });
    try {
      // Firefox gives up on the server after about 11 s and reports it; Chromium retries for longer
      // than a test should wait, and its missing server-reflexive candidate is the sign.
      const gathered = await gather(engine, `stun:127.0.0.1:${wrong.address().port}`, engine === 'firefox' ? 15_000 : 3000);
      console.log(`[stun] ${engine} against a wrong server: asked ${asked} times; errors ${JSON.stringify(gathered.errors)}`);
      expect(asked).toBeGreaterThan(0);
      expect(gathered.candidates.filter((candidate) => candidate.includes(' typ srflx '))).toEqual([]);
      if (engine === 'firefox') expect(gathered.errors.some((error) => error.startsWith('701'))).toBe(true);
    } finally {
      wrong.close();
    }
  });
});
