// The npm package as a web developer gets it: `npm pack` of parley-chat, installed from the tarball
// into a scratch project of its own, a consumer using all three entries type-checked strictly, and
// bundled with Vite. Also: Lit is a dependency, not bundled (one copy in an app that uses Lit too),
// and the headless entry brings no Lit at all.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PACKAGE_DIR = join(ROOT, 'dist/package');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
/** Each copy of lit-html registers its version here once: the count of copies in a bundle. */
const LIT_COPY_MARKER = 'litHtmlVersions';

let scratch: string;
let tarball: string;

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${failed.stdout ?? ''}\n${failed.stderr ?? failed.message}`);
  }
}

/** Bundles `entry` (a file of the scratch project) with Vite as an app would; returns the JavaScript. */
async function bundle(name: string, entry: string): Promise<string> {
  const { build } = await import('vite');
  const outDir = join(scratch, `out-${name}`);
  // A production build, as an app ships (vitest runs with NODE_ENV=test, which would pick Lit's
  // development build, whose every copy names its version twice).
  const environment = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: scratch,
      configFile: false,
      logLevel: 'silent',
      mode: 'production',
      build: { outDir, emptyOutDir: true, minify: false, lib: { entry: join(scratch, entry), formats: ['es'], fileName: () => `${name}.js` } },
    });
  } finally {
    process.env.NODE_ENV = environment;
  }
  return readdirSync(outDir)
    .filter((file) => file.endsWith('.js'))
    .map((file) => readFileSync(join(outDir, file), 'utf8'))
    .join('\n');
}

beforeAll(() => {
  run('npm', ['run', '--silent', 'build:package'], ROOT);
  scratch = mkdtempSync(join(tmpdir(), 'parley-consumer-'));
  const packed = JSON.parse(run('npm', ['pack', PACKAGE_DIR, '--json', '--pack-destination', scratch], ROOT)) as { filename: string; files: { path: string }[] }[];
  tarball = join(scratch, packed[0]!.filename);
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // The dependencies come from npm's cache where `npm ci` left them; from the registry otherwise.
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball, `lit@${devDependency('lit')}`], scratch);
}, 240_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function devDependency(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies[name]!;
}

describe('the parley-chat package', () => {
  it('packs what an installer needs: ESM for the three entries, their declarations, the download worker, the manifest, the README', () => {
    const listing = run('tar', ['-tzf', tarball], scratch).split('\n');
    for (const file of ['dist/index.js', 'dist/define.js', 'dist/room.js', 'dist/parley-download-worker.js', 'types/web/package/index.d.ts', 'types/web/element/define.d.ts', 'types/web/package/room.d.ts', 'custom-elements.json', 'README.md', 'package.json']) {
      expect(listing, file).toContain(`package/${file}`);
    }
    // Nothing of the server, the tests or the bench.
    expect(listing.filter((file) => /signaling\/|test\/|bench\//.test(file))).toEqual([]);
  });

  it('depends on the same Lit and valibot the script tag is built with (simple-peer is built in)', () => {
    const manifest = JSON.parse(readFileSync(join(scratch, 'node_modules/parley-chat/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies).toEqual({ lit: devDependency('lit'), valibot: devDependency('valibot') });
  });

  it('type-checks a consumer of all three entries under strict settings, and refuses a misuse', () => {
    writeFileSync(
      join(scratch, 'consumer.ts'),
      `import { ParleyChat, type ChatMessage } from 'parley-chat';
import 'parley-chat/define';
import { joinRoom, createRoomKey, type ParleyRoom, type RoomStatus } from 'parley-chat/room';

class BrandedChat extends ParleyChat {}
customElements.define('branded-chat', BrandedChat);

const element: ParleyChat = document.createElement('parley-chat');
element.room = createRoomKey();
element.addEventListener('parley-message', (event) => {
  const message: ChatMessage = event.detail.message;
  console.log(message.authorName, message.text);
});

const room: ParleyRoom = joinRoom({ roomKey: createRoomKey(), name: 'Ada', signalingUrl: 'wss://parley.example/signal' });
room.on('status', (status: RoomStatus) => console.log(status.phase));
room.on('message', (message) => console.log(message.id));
room.on('peer-joined', (participant) => console.log(participant.name, participant.safetyCode));
export { element, room };
`,
    );
    const tsconfig = {
      compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM', 'DOM.Iterable'], strict: true, noEmit: true, skipLibCheck: false, types: [] },
      files: ['consumer.ts'],
    };
    writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify(tsconfig));
    run(process.execPath, [TSC, '-p', 'tsconfig.json'], scratch);

    // The declarations are real: a wrong event payload and a missing option are errors.
    writeFileSync(join(scratch, 'misuse.ts'), `import { joinRoom } from 'parley-chat/room';\nconst room = joinRoom({ name: 'Ada', signalingUrl: 'x' });\nroom.on('message', (message: number) => message);\n`);
    writeFileSync(join(scratch, 'tsconfig.misuse.json'), JSON.stringify({ ...tsconfig, files: ['misuse.ts'] }));
    expect(() => run(process.execPath, [TSC, '-p', 'tsconfig.misuse.json'], scratch)).toThrow(/roomKey[\s\S]*number|number[\s\S]*roomKey/);
  }, 60_000);

  it('bundles with Vite: an app that uses Lit too gets one copy of it', async () => {
    writeFileSync(join(scratch, 'app.ts'), `import { LitElement, html } from 'lit';\nimport 'parley-chat/define';\nclass AppShell extends LitElement { render() { return html\`<parley-chat></parley-chat>\`; } }\ncustomElements.define('app-shell', AppShell);\n`);
    const code = await bundle('app', 'app.ts');
    expect(code).toMatch(/["']parley-chat["']/);
    expect(code.split(LIT_COPY_MARKER).length - 1).toBe(1);
  }, 60_000);

  it('bundles the headless entry alone with no Lit in it', async () => {
    writeFileSync(join(scratch, 'headless.ts'), `import { joinRoom, createRoomKey } from 'parley-chat/room';\nexport const room = joinRoom({ roomKey: createRoomKey(), name: 'Ada', signalingUrl: 'wss://parley.example/signal' });\n`);
    const code = await bundle('headless', 'headless.ts');
    expect(code).toMatch(/class ParleyRoom|ParleyRoom = class/);
    expect(code).not.toContain(LIT_COPY_MARKER);
    expect(code).not.toContain('customElements');
  }, 60_000);
});

interface ManifestDeclaration {
  kind: string;
  name: string;
  tagName?: string;
  customElement?: boolean;
  attributes?: { name: string; fieldName?: string }[];
  members?: { kind: string; name: string; privacy?: string; static?: boolean }[];
  events?: { name: string }[];
  slots?: { name: string }[];
  cssParts?: { name: string }[];
  cssProperties?: { name: string }[];
}

/** All matches of a pattern's first group in a source file of the repository. */
function namesIn(files: string | string[], pattern: RegExp): string[] {
  const texts = (Array.isArray(files) ? files : [files]).map((file) => readFileSync(join(ROOT, file), 'utf8'));
  return [...new Set(texts.flatMap((text) => [...text.matchAll(pattern)].map((match) => match[1] ?? '')))].sort();
}

describe('custom-elements.json', () => {
  const ELEMENT = 'web/element/parley-chat.ts';
  /** Every file that renders part of the element (its parts and slots may be in any of them). */
  const RENDERING = readdirSync(join(ROOT, 'web/element'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => `web/element/${file}`);

  function element(): ManifestDeclaration {
    const manifest = JSON.parse(readFileSync(join(scratch, 'node_modules/parley-chat/custom-elements.json'), 'utf8')) as { modules: { declarations?: ManifestDeclaration[] }[] };
    const found = manifest.modules.flatMap((module) => module.declarations ?? []).find((declaration) => declaration.customElement && declaration.tagName === 'parley-chat');
    expect(found, 'a declaration of <parley-chat>').toBeDefined();
    return found!;
  }

  // What the element has is read from its source, so a new attribute, event or part that the
  // manifest does not name fails here.
  it('names every attribute and public property, with the attribute bound to its property', () => {
    const declared = element();
    const reactive = readFileSync(join(ROOT, ELEMENT), 'utf8').match(/static override properties = \{([\s\S]*?)\n {2}\};/)![1]!;
    const attributes = [...reactive.matchAll(/^\s+(\w+): \{(?![^}]*state: true)[^}]*\}/gm)].map((match) => match[1]!).sort();
    expect(attributes.length).toBeGreaterThanOrEqual(3);
    expect(declared.attributes!.map((attribute) => attribute.name).sort()).toEqual(expect.arrayContaining(attributes));
    for (const attribute of attributes) expect(declared.attributes!.find((entry) => entry.name === attribute)?.fieldName, attribute).toBe(attribute);
    const publicMembers = namesIn(ELEMENT, /^ {2}(?:get |set )?(?!constructor|override|private|protected|static|declare|readonly|#)([a-zA-Z]\w*)\(/gm);
    const documented = declared.members!.filter((member) => member.privacy === undefined || member.privacy === 'public').map((member) => member.name);
    expect(documented).toEqual(expect.arrayContaining([...publicMembers, ...attributes]));
  });

  it('names every event the element dispatches, every part, slot and --parley-* custom property', () => {
    const declared = element();
    const events = namesIn(ELEMENT, /new CustomEvent\('([\w-]+)'/g);
    expect(events.length).toBeGreaterThanOrEqual(5);
    expect((declared.events ?? []).map((event) => event.name).sort()).toEqual(events);
    expect((declared.cssParts ?? []).map((part) => part.name).sort()).toEqual(namesIn(RENDERING, /part="([\w-]+)"/g));
    expect((declared.slots ?? []).map((slot) => slot.name).sort()).toEqual(namesIn(RENDERING, /<slot(?: name="([\w-]+)")?/g));
    const customProperties = namesIn('web/element/styles.ts', /var\((--parley-[\w-]+)/g);
    expect(customProperties.length).toBeGreaterThanOrEqual(5);
    expect((declared.cssProperties ?? []).map((property) => property.name).sort()).toEqual(customProperties);
  });
});
