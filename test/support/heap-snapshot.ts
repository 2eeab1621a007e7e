// Reading a V8 heap snapshot written by another process (node --heapsnapshot-signal): waiting for
// the file to be complete, the strings it holds, and, for a string that should not be there, what
// keeps it alive.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { until } from './room-waits.js';

/** The parts of the snapshot format (v8 HeapSnapshot JSON) read here. */
interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapSnapshot {
  /** Every string in the heap: string values (up to --heap-snapshot-string-limit), names, sources. */
  readonly strings: readonly string[];
  /** The strings that contain `needle`. */
  find(needle: string): string[];
  /**
   * The chain of objects that keeps the first node whose name contains `needle` alive (usually a
   * string), as "type name --edge-->" steps from a root, for a report. Empty if there is none
   * (the text is then only an edge's name, such as a property key).
   */
  retainerPath(needle: string, maxDepth?: number): string[];
}

/**
 * Resolves with the path of the first *.heapsnapshot file in `dir` once it is complete: the JSON
 * ends with its closing brace and the size stopped changing (the writer is another process).
 */
export async function waitForSnapshotFile(dir: string, timeoutMs = 20_000): Promise<string> {
  let path: string | undefined;
  let lastSize = -1;
  await until(
    () => {
      path ??= readdirSync(dir).find((name) => name.endsWith('.heapsnapshot'));
      if (!path) return false;
      const full = join(dir, path);
      const size = statSync(full).size;
      const stable = size > 0 && size === lastSize;
      lastSize = size;
      if (!stable) return false;
      const text = readFileSync(full, 'utf8');
      return text.trimEnd().endsWith('}');
    },
    'the heap snapshot to be written',
    timeoutMs,
    200,
  );
  return join(dir, path!);
}

export function readHeapSnapshot(path: string): HeapSnapshot {
  const json = JSON.parse(readFileSync(path, 'utf8')) as SnapshotJson;
  const { strings, nodes, edges } = json;
  const meta = json.snapshot.meta;
  const nodeFields = meta.node_fields.length;
  const edgeFields = meta.edge_fields.length;
  const nodeType = meta.node_fields.indexOf('type');
  const nodeName = meta.node_fields.indexOf('name');
  const nodeEdgeCount = meta.node_fields.indexOf('edge_count');
  const edgeType = meta.edge_fields.indexOf('type');
  const edgeName = meta.edge_fields.indexOf('name_or_index');
  const edgeTo = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];

  const describeNode = (index: number): string => {
    const type = nodeTypes[nodes[index + nodeType]!] ?? '?';
    const name = strings[nodes[index + nodeName]!] ?? '';
    return `${type} ${JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name)}`;
  };

  /** Who points to each node, and through which edge: built once, on the first retainerPath(). */
  let retainers: Map<number, { from: number; edge: string }[]> | undefined;
  const retainersOfAll = (): Map<number, { from: number; edge: string }[]> => {
    const result = new Map<number, { from: number; edge: string }[]>();
    let edgeIndex = 0;
    for (let node = 0; node < nodes.length; node += nodeFields) {
      const count = nodes[node + nodeEdgeCount]!;
      for (let edge = 0; edge < count; edge += 1, edgeIndex += edgeFields) {
        const kind = edgeTypes[edges[edgeIndex + edgeType]!] ?? '?';
        const nameOrIndex = edges[edgeIndex + edgeName]!;
        const label = kind === 'element' || kind === 'hidden' ? `[${nameOrIndex}]` : (strings[nameOrIndex] ?? '?');
        const to = edges[edgeIndex + edgeTo]!;
        const list = result.get(to) ?? [];
        list.push({ from: node, edge: `${kind}:${label}` });
        result.set(to, list);
      }
    }
    return result;
  };

  return {
    strings,
    find: (needle) => strings.filter((text) => text.includes(needle)),
    retainerPath(needle, maxDepth = 12) {
      retainers ??= retainersOfAll();
      let target: number | undefined;
      // Usually a string node; could be any node named by it (a closure, a script's source).
      for (let node = 0; node < nodes.length && target === undefined; node += nodeFields) {
        if (strings[nodes[node + nodeName]!]?.includes(needle)) target = node;
      }
      if (target === undefined) return [];
      // Walk back from the string to a root, breadth first, avoiding weak edges.
      const seen = new Set<number>([target]);
      let frontier: { node: number; path: string[] }[] = [{ node: target, path: [describeNode(target)] }];
      for (let depth = 0; depth < maxDepth && frontier.length > 0; depth += 1) {
        const next: typeof frontier = [];
        for (const { node, path } of frontier) {
          const from = retainers.get(node) ?? [];
          if (from.length === 0 || node === 0) return path;
          for (const { from: parent, edge } of from) {
            if (seen.has(parent) || edge.startsWith('weak:')) continue;
            seen.add(parent);
            next.push({ node: parent, path: [`${describeNode(parent)} --${edge}-->`, ...path] });
          }
        }
        frontier = next;
      }
      return frontier[0]?.path ?? [];
    },
  };
}
