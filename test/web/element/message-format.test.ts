// The safe formatting subset of chat messages, as a tree of plain data: what becomes bold, italic,
// code, a code block or a link, and what an attacker's text stays (text: never markup, never a
// script or data link).
import { describe, expect, it } from 'vitest';
import { formatMessage, type FormattedNode } from '../../../web/element/message-format.js';

const text = (value: string): FormattedNode => ({ kind: 'text', text: value });

describe('message formatting', () => {
  it('leaves plain text as one text node', () => {
    expect(formatMessage('just words, 2 * 3 = 6')).toEqual([text('just words, 2 * 3 = 6')]);
  });

  it('reads bold, italic (both markers) and inline code', () => {
    expect(formatMessage('a **bold** and *soft* and _also_ `x = 1`')).toEqual([
      text('a '),
      { kind: 'strong', children: [text('bold')] },
      text(' and '),
      { kind: 'em', children: [text('soft')] },
      text(' and '),
      { kind: 'em', children: [text('also')] },
      text(' '),
      { kind: 'code', text: 'x = 1' },
    ]);
  });

  it('formats nothing inside code, and nests italic and links in bold', () => {
    expect(formatMessage('`**not bold**`')).toEqual([{ kind: 'code', text: '**not bold**' }]);
    expect(formatMessage('**see *this* https://example.org**')).toEqual([
      {
        kind: 'strong',
        children: [text('see '), { kind: 'em', children: [text('this')] }, text(' '), { kind: 'link', href: 'https://example.org/', children: [text('https://example.org')] }],
      },
    ]);
  });

  it('leaves markers that do not close, or sit inside words, as they are', () => {
    expect(formatMessage('**open and *half')).toEqual([text('**open and *half')]);
    expect(formatMessage('snake_case_name and 2*3*4')).toEqual([text('snake_case_name and 2*3*4')]);
    expect(formatMessage('** spaced **')).toEqual([text('** spaced **')]);
  });

  it('makes addresses links, without the punctuation that ends a sentence', () => {
    expect(formatMessage('Look: https://example.org/a?b=1. Done')).toEqual([
      text('Look: '),
      { kind: 'link', href: 'https://example.org/a?b=1', children: [text('https://example.org/a?b=1')] },
      text('. Done'),
    ]);
    expect(formatMessage('(https://en.wikipedia.org/wiki/Tor_(network))')[1]).toEqual({
      kind: 'link',
      href: 'https://en.wikipedia.org/wiki/Tor_(network)',
      children: [text('https://en.wikipedia.org/wiki/Tor_(network)')],
    });
    expect(formatMessage('[the docs](https://parley.example/docs)')).toEqual([{ kind: 'link', href: 'https://parley.example/docs', children: [text('the docs')] }]);
  });

  it('never links anything but http and https: script, data and file addresses stay text', () => {
    for (const hostile of ['[click](javascript:alert(1))', 'javascript:alert(1)', '[x](data:text/html,<script>alert(1)</script>)', 'file:///etc/passwd', '[x](https://)']) {
      const nodes = formatMessage(hostile);
      expect(nodes.some((node) => node.kind === 'link'), hostile).toBe(false);
      expect(nodes.map((node) => (node.kind === 'text' ? node.text : '')).join(''), hostile).toBe(hostile);
    }
  });

  it('keeps markup as text: formatting is data, never HTML', () => {
    expect(formatMessage('<img src=x onerror=alert(1)> **<b>hi</b>**')).toEqual([
      text('<img src=x onerror=alert(1)> '),
      { kind: 'strong', children: [text('<b>hi</b>')] },
    ]);
  });

  it('reads a fenced code block, whitespace kept, and nothing formatted inside', () => {
    expect(formatMessage('Try:\n```ts\nconst a = **b**;\n  indented\n```\nthen *run* it')).toEqual([
      text('Try:\n'),
      { kind: 'code-block', text: 'const a = **b**;\n  indented' },
      text('then '),
      { kind: 'em', children: [text('run')] },
      text(' it'),
    ]);
    // Unclosed: just text.
    expect(formatMessage('```\nno end')).toEqual([text('```\nno end')]);
  });

  it('a member’s message built to make the patterns backtrack does not freeze the page', () => {
    // 16,000 characters, the longest message there is.
    for (const input of ['*_`['.repeat(4000), '**a'.repeat(5333), `${'_x '.repeat(5333)}`, `[${'a'.repeat(15_990)}](`, `${'h'.repeat(8000)}https://${'a.'.repeat(3990)}`]) {
      const started = performance.now();
      const nodes = formatMessage(input);
      expect(performance.now() - started, input.slice(0, 12)).toBeLessThan(500);
      expect(nodes.length).toBeGreaterThan(0);
    }
  });
});
