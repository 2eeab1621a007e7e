/**
 * The formatting a chat message may carry, a small safe subset of Markdown: **bold**, *italic* or
 * _italic_, `inline code`, ``` code blocks ```, [links](https://…) and bare http(s) addresses made
 * clickable. Parsed into a tree of plain data here; the element renders it through Lit templates,
 * so text is only ever text (never HTML), and a link is only ever http: or https:.
 * Anything that does not close, or does not parse, stays as the characters it was.
 */
export type FormattedNode =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'code-block'; text: string }
  | { kind: 'strong'; children: FormattedNode[] }
  | { kind: 'em'; children: FormattedNode[] }
  | { kind: 'link'; href: string; children: FormattedNode[] };

/** Inline tokens, earliest match wins: code first (nothing is formatted inside it), then links. */
const INLINE =
  /`([^`\n]+)`|\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"]+)|\*\*(?=\S)([^\n]*?\S)\*\*|(?<![\p{L}\p{N}*])\*(?=\S)([^*\n]*?\S)\*(?![\p{L}\p{N}*])|(?<![\p{L}\p{N}_])_(?=\S)([^_\n]*?\S)_(?![\p{L}\p{N}_])/gu;

/** Characters a sentence often ends with right after an address; they are not part of it. */
const TRAILING_PUNCTUATION = /[.,;:!?'"»”’)\]]+$/;

/** Only web addresses become links; the URL parser has the last word on what one is. */
function safeHref(candidate: string): string | undefined {
  try {
    const url = new URL(candidate);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function pushText(nodes: FormattedNode[], text: string): void {
  if (text === '') return;
  const last = nodes.at(-1);
  if (last?.kind === 'text') last.text += text;
  else nodes.push({ kind: 'text', text });
}

function parseInline(text: string, depth: number): FormattedNode[] {
  const nodes: FormattedNode[] = [];
  let at = 0;
  for (const match of text.matchAll(INLINE)) {
    const index = match.index;
    if (index < at) continue;
    const [whole, code, linkText, linkHref, bare, strong, starEm, underscoreEm] = match;
    pushText(nodes, text.slice(at, index));
    at = index + whole.length;
    if (code !== undefined) {
      nodes.push({ kind: 'code', text: code });
    } else if (linkText !== undefined && linkHref !== undefined) {
      const href = safeHref(linkHref);
      if (href) nodes.push({ kind: 'link', href, children: depth < 2 ? parseInline(linkText, depth + 1) : [{ kind: 'text', text: linkText }] });
      else pushText(nodes, whole);
    } else if (bare !== undefined) {
      const trailing = TRAILING_PUNCTUATION.exec(bare)?.[0] ?? '';
      // A closing bracket belongs to the address when it opened one: https://en.wikipedia.org/wiki/X_(y)
      const keep = trailing.startsWith(')') && bare.includes('(') ? 1 : 0;
      const address = bare.slice(0, bare.length - trailing.length + keep);
      const href = safeHref(address);
      if (href) nodes.push({ kind: 'link', href, children: [{ kind: 'text', text: address }] });
      else pushText(nodes, address);
      pushText(nodes, bare.slice(address.length));
    } else {
      const inner = strong ?? starEm ?? underscoreEm ?? '';
      const children = depth < 2 ? parseInline(inner, depth + 1) : [{ kind: 'text' as const, text: inner }];
      nodes.push({ kind: strong !== undefined ? 'strong' : 'em', children });
    }
  }
  pushText(nodes, text.slice(at));
  return nodes;
}

/** A message's text as formatted nodes. */
export function formatMessage(text: string): FormattedNode[] {
  const nodes: FormattedNode[] = [];
  // Code blocks: a line of ``` opens one, the next line of ``` closes it (an unclosed one is text).
  const blocks = /^```[^\n`]*\n([\s\S]*?)\n?^```[ \t]*$/gm;
  let at = 0;
  for (const match of text.matchAll(blocks)) {
    // Each stretch of text starts the list or follows a block: nothing to merge it with.
    nodes.push(...parseInline(text.slice(at, match.index), 0), { kind: 'code-block', text: match[1] ?? '' });
    at = match.index + match[0].length;
    // The line break after a block belongs to the block.
    if (text[at] === '\n') at += 1;
  }
  nodes.push(...parseInline(text.slice(at), 0));
  return nodes;
}
