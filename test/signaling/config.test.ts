import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../../signaling/config.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const { config } = loadConfig([], {});
    expect(config).toMatchObject({ port: 8080, host: 'localhost', roomCapacity: 16, iceServers: [], heartbeatIntervalMs: 30_000 });
    expect(config.webRoot).toBe(DEFAULT_CONFIG.webRoot);
  });

  it('reads environment variables', () => {
    const { config } = loadConfig([], {
      PORT: '9000',
      HOST: '0.0.0.0',
      ROOM_CAPACITY: '4',
      ICE_SERVERS: '[{"urls":"stun:stun.example.org:3478"},{"urls":["turn:turn.example.org"],"username":"u","credential":"p"}]',
      LOG_LEVEL: 'WARN',
      TRUST_PROXY: 'true',
    });
    expect(config).toMatchObject({ port: 9000, host: '0.0.0.0', roomCapacity: 4, logLevel: 'warn', trustProxy: 1 });
    expect(config.iceServers).toHaveLength(2);
  });

  it.each([
    ['off', false],
    ['0', false],
    ['true', 1],
    ['2', 2],
    ['127.0.0.1, 10.1.0.0/16, ::1, 2001:db8::/32, loopback', ['127.0.0.1', '10.1.0.0/16', '::1', '2001:db8::/32', 'loopback']],
  ])('reads TRUST_PROXY=%s as %o: a count of proxies, or their addresses', (raw, expected) => {
    expect(loadConfig([], { TRUST_PROXY: raw }).config.trustProxy).toEqual(expected);
  });

  it('lets flags override environment variables', () => {
    const { config } = loadConfig(['--port', '7000', '--room-capacity=3'], { PORT: '9000', ROOM_CAPACITY: '8' });
    expect(config.port).toBe(7000);
    expect(config.roomCapacity).toBe(3);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT .*whole number.*"eighty"/],
    [{ PORT: '70000' }, /PORT/],
    [{ ROOM_CAPACITY: '1' }, /ROOM_CAPACITY.*2 to 256/],
    [{ ICE_SERVERS: '[{"urls":' }, /ICE_SERVERS.*not valid JSON/],
    [{ ICE_SERVERS: '[{"urls":"http://x"}]' }, /ICE_SERVERS.*urls/],
    [{ ICE_SERVERS: '{"urls":"stun:x"}' }, /ICE_SERVERS.*array/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY/],
    [{ TRUST_PROXY: '11' }, /TRUST_PROXY.*1 to 10/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /TRUST_PROXY.*"10.0.0.0\/33" is neither/],
    [{ TRUST_PROXY: '10.0.0.1, example.org' }, /TRUST_PROXY.*"example.org"/],
    [{ ALLOWED_ORIGINS: ' , ' }, /ALLOWED_ORIGINS.*at least one origin/],
    [{ HOST: ' ' }, /HOST/],
  ])('rejects %o with a clear message', (env, message) => {
    expect(() => loadConfig([], env)).toThrow(ConfigError);
    expect(() => loadConfig([], env)).toThrow(message);
  });

  it('rejects unknown flags and answers --help', () => {
    expect(() => loadConfig(['--prot', '1'], {})).toThrow(ConfigError);
    expect(loadConfig(['--help'], {}).help).toBe(true);
  });
});
