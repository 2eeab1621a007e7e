// The direction of dependencies that docs/architecture.md promises: web/ → protocol/ ← signaling/,
// protocol/ pure (no Node, no DOM, neither side), and no import cycles anywhere.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_FOLDERS = ['protocol', 'signaling', 'web'];

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** What a file imports: relative imports as repository paths, packages as they are named. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)].map((match) => match[1] ?? match[2]!);
  return specifiers.map((specifier) =>
    specifier.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts') : specifier,
  );
}

const graph = new Map(SOURCE_FOLDERS.flatMap(sourceFiles).map((file) => [file, importsOf(file)]));
const folderOf = (path: string): string => path.split('/')[0]!;

describe('architecture', () => {
  it('finds the source files and their imports', () => {
    expect(graph.get('web/room/room.ts')).toContain('web/room/link-supervisor.ts');
    expect(graph.get('signaling/session.ts')).toContain('protocol/signaling.ts');
  });

  it.each([
    ['web', ['signaling']],
    ['signaling', ['web']],
    ['protocol', ['web', 'signaling']],
  ])('nothing in %s/ imports %j', (from, forbidden) => {
    const offending = [...graph].flatMap(([file, imports]) =>
      folderOf(file) === from ? imports.filter((target) => forbidden.includes(folderOf(target))).map((target) => `${file} → ${target}`) : [],
    );
    expect(offending).toEqual([]);
  });

  it('keeps protocol/ free of Node and of packages other than its validator', () => {
    const packages = [...graph].flatMap(([file, imports]) =>
      folderOf(file) === 'protocol' ? imports.filter((target) => !target.startsWith('protocol/')) : [],
    );
    expect([...new Set(packages)]).toEqual(['valibot']);
  });

  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'visiting');
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
