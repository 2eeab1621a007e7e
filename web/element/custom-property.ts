/**
 * `${customProperty('--hue', '210')}` on an element: sets a CSS custom property through the CSSOM.
 * A style="…" attribute, which Lit's styleMap also writes on first render, is refused by a
 * Content-Security-Policy without 'unsafe-inline' styles (Parley's own, and many sites').
 */
import { nothing } from 'lit';
import { Directive, directive, PartType, type ElementPart, type PartInfo } from 'lit/directive.js';

class CustomPropertyDirective extends Directive {
  constructor(partInfo: PartInfo) {
    super(partInfo);
    if (partInfo.type !== PartType.ELEMENT) throw new Error('customProperty() goes on an element, not in an attribute or text');
  }

  render(_name: string, _value: string): typeof nothing {
    return nothing;
  }

  override update(part: ElementPart, [name, value]: [string, string]): typeof nothing {
    (part.element as HTMLElement).style.setProperty(name, value);
    return nothing;
  }
}

export const customProperty = directive(CustomPropertyDirective);
