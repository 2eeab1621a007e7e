// Launches Debian's Chromium through playwright-core with the flags shared/TESTING.md measured:
// deterministic WebRTC, all traffic on this machine, no browser download.
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Host candidates as real addresses instead of <uuid>.local names resolved over multicast.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  // No DNS lookups leave the machine.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A Chromium of its own with a profile in `profileDirectory`, as a person's browser is: storage
 * (OPFS) goes to disk there. Contexts of launchChromium() are off the record, and keep OPFS files
 * in the browser process's memory.
 */
export function launchChromiumWithProfile(profileDirectory: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDirectory, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
