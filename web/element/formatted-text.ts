/**
 * A message's formatting (message-format.ts) as Lit templates: text is only ever text, and links
 * open apart from this page (`rel="noopener noreferrer"`). Loaded by the element on the first
 * message that has anything to format, from a file beside the script.
 */
import { html, type TemplateResult } from 'lit';
import { formatMessage, type FormattedNode } from './message-format.js';

function render(nodes: readonly FormattedNode[]): TemplateResult[] {
  return nodes.map((node) => {
    switch (node.kind) {
      case 'text':
        return html`${node.text}`;
      case 'code':
        return html`<code>${node.text}</code>`;
      case 'code-block':
        return html`<pre dir="ltr"><code>${node.text}</code></pre>`;
      case 'strong':
        return html`<strong>${render(node.children)}</strong>`;
      case 'em':
        return html`<em>${render(node.children)}</em>`;
      case 'link':
        return html`<a href=${node.href} target="_blank" rel="noopener noreferrer">${render(node.children)}</a>`;
    }
  });
}

export function renderFormattedText(text: string): TemplateResult[] {
  return render(formatMessage(text));
}
