/** Styles of `<parley-chat>`; themable through the --parley-* custom properties it documents. */
import { css } from 'lit';

/** The dark palette, for a dark system (theme auto) or theme="dark". */
const darkTheme = css`
  color-scheme: dark;
  --_background: var(--parley-background, #0f172a);
  --_surface: var(--parley-surface, #1e293b);
  --_text: var(--parley-text, #e2e8f0);
  --_muted: var(--parley-muted, #a3b1c4);
  --_border: var(--parley-border, #334155);
  --_accent: var(--parley-accent, #818cf8);
  --_tag-lightness: 80%;
  /* Text on the accent: the dark palette's accent is light, so its text is dark (AA contrast). */
  --_on-accent: var(--parley-on-accent, #0f172a);
  --_on-accent-muted: rgb(15 23 42 / 0.9);
`;

export const parleyChatStyles = css`
  :host {
    --_accent: var(--parley-accent, #4f46e5);
    --_background: var(--parley-background, #ffffff);
    --_surface: var(--parley-surface, #f1f5f9);
    --_text: var(--parley-text, #0f172a);
    --_muted: var(--parley-muted, #586a80);
    --_border: var(--parley-border, #e2e8f0);
    --_radius: var(--parley-radius, 12px);
    --_ok: #16a34a;
    --_warn: #d97706;
    --_bad: #dc2626;
    --_tag-lightness: 25%;
    --_on-accent: var(--parley-on-accent, #ffffff);
    --_on-accent-muted: rgb(255 255 255 / 0.85);
    color-scheme: light;
    display: block;
    container-type: inline-size;
    height: 520px;
    min-height: 320px;
    box-sizing: border-box;
    color: var(--_text);
    background: var(--_background);
    font-family: var(--parley-font, system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif);
    font-size: 15px;
    line-height: 1.45;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    overflow: hidden;
    /* Where scrollbars take room (Firefox, desktop browsers), every scroller inside gets thin ones
       in the theme's colours rather than a white track. */
    scrollbar-color: var(--_muted) transparent;
  }
  /* theme="auto" (the default) follows the system; "light" and "dark" hold whatever it says. */
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      ${darkTheme}
    }
  }
  :host([theme='dark']) {
    ${darkTheme}
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }

  .chat {
    display: grid;
    grid-template-columns: minmax(180px, 240px) 1fr;
    grid-template-rows: auto auto 1fr auto;
    grid-template-areas:
      'header header'
      'status status'
      'people log'
      'people composer';
    height: 100%;
    min-height: 0;
  }
  .header {
    grid-area: header;
  }
  /* Heard, not seen: the live line that tells a screen reader of new messages. */
  .announcer {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
    border: 0;
  }
  .empty-room {
    padding: 24px;
    color: var(--_muted);
  }

  .status {
    grid-area: status;
    display: flex;
    align-items: center;
    gap: 8px;
    margin: 0;
    padding: 8px 16px;
    font-size: 13px;
    color: var(--_muted);
    border-bottom: 1px solid var(--_border);
    overflow-wrap: anywhere;
  }
  .status-action {
    align-self: center;
    height: auto;
    margin-block: -4px;
    margin-inline-start: auto;
    padding: 2px 12px;
    font: inherit;
    color: var(--_accent);
    background: none;
    border: 1px solid var(--_border);
    border-radius: 999px;
    cursor: pointer;
  }
  .dot {
    flex: none;
    width: 8px;
    height: 8px;
    border-radius: 50%;
    background: var(--_muted);
  }
  .status[data-phase='joined'] .dot {
    background: var(--_ok);
  }
  .status[data-phase='connecting'] .dot,
  .status[data-phase='reconnecting'] .dot {
    background: var(--_warn);
  }
  .status[data-phase='rejected'] .dot {
    background: var(--_bad);
  }
  .status[data-phase='rejected'] {
    color: var(--_bad);
  }

  .participants {
    grid-area: people;
    min-height: 0;
    overflow-y: auto;
    padding: 12px;
    border-inline-end: 1px solid var(--_border);
    background: var(--_surface);
  }
  .section-title {
    display: flex;
    align-items: center;
    gap: 6px;
    margin: 0 4px 8px;
    font-size: 12px;
    font-weight: 600;
    letter-spacing: 0.04em;
    text-transform: uppercase;
    color: var(--_muted);
  }
  .count {
    padding: 0 6px;
    border-radius: 999px;
    background: var(--_border);
    color: var(--_text);
    font-size: 11px;
  }
  .participants ul {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 2px;
  }
  .participant {
    display: grid;
    grid-template-columns: auto 1fr;
    grid-template-areas: 'avatar name' 'avatar state';
    column-gap: 10px;
    align-items: center;
    padding: 6px 8px;
    border-radius: 8px;
    min-width: 0;
  }
  .avatar {
    grid-area: avatar;
    display: inline-grid;
    place-items: center;
    width: 32px;
    height: 32px;
    border-radius: 50%;
    background: hsl(var(--hue, 240) 65% 55%);
    color: #fff;
    font-weight: 600;
    font-size: 14px;
  }
  .participant-name {
    grid-area: name;
    display: flex;
    align-items: baseline;
    min-width: 0;
    white-space: nowrap;
    font-weight: 500;
  }
  /* A long name gives way, not its tag: the tag is what tells two people of one name apart. */
  .participant-name bdi {
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .participant-name .tag,
  .participant-name .verified-mark {
    flex: none;
  }
  .participant-name bdi,
  .author {
    unicode-bidi: isolate;
  }
  .peer-state {
    grid-area: state;
    display: block;
    font-size: 12px;
    color: var(--_muted);
  }
  .peer-state .dot {
    display: inline-block;
    margin-inline-end: 6px;
    vertical-align: middle;
  }
  .peer-state[data-tone='ok'] .dot {
    background: var(--_ok);
  }
  .peer-state[data-tone='busy'] .dot {
    background: var(--_warn);
  }
  .peer-state[data-tone='bad'] {
    color: var(--_bad);
  }
  .peer-state[data-tone='bad'] .dot {
    background: var(--_bad);
  }
  .peer-state {
    min-width: 0;
    overflow: hidden;
    white-space: nowrap;
    text-overflow: ellipsis;
  }
  /* A participant is a button that opens its details (safety code, verification). */
  button.participant {
    width: 100%;
    height: auto;
    align-self: stretch;
    font: inherit;
    font-weight: inherit;
    color: inherit;
    text-align: start;
    background: transparent;
    border-radius: 8px;
  }
  button.participant:hover {
    filter: none;
    background: var(--_border);
  }
  button.participant[aria-expanded='true'] {
    background: var(--_border);
  }
  .participants li {
    min-width: 0;
  }
  .tag {
    padding: 0 4px;
    border-radius: 4px;
    font: 500 11px/1.5 ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    color: hsl(var(--hue, 240) 70% var(--_tag-lightness));
    background: hsl(var(--hue, 240) 70% 50% / 0.14);
    unicode-bidi: isolate;
    white-space: nowrap;
  }
  .participant-name .tag,
  .peer-details-title .tag {
    margin-inline-start: 6px;
  }
  .impostor {
    color: var(--_bad);
    font-weight: 600;
    white-space: nowrap;
  }
  .verified-mark {
    margin-inline-start: 4px;
    color: var(--_ok);
    font-weight: 700;
  }
  .peer-details {
    margin-top: 10px;
    padding: 10px 12px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_background);
    font-size: 13px;
  }
  .peer-details p {
    margin: 0 0 6px;
  }
  .peer-details-title {
    font-weight: 600;
    font-size: 14px;
    overflow-wrap: anywhere;
  }
  .peer-problem {
    color: var(--_bad);
  }
  .peer-connection {
    color: var(--_muted);
  }
  .safety-label {
    color: var(--_muted);
    font-size: 12px;
    text-transform: uppercase;
    letter-spacing: 0.04em;
  }
  .safety-code {
    font: 600 18px/1.3 ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    letter-spacing: 0.06em;
    direction: ltr;
    unicode-bidi: isolate;
  }
  .safety-help {
    color: var(--_muted);
  }
  button.verify {
    height: 36px;
    padding: 0 14px;
    font-size: 13px;
  }
  button.verify[aria-pressed='true'] {
    color: var(--_text);
    background: var(--_surface);
    border: 1px solid var(--_ok);
  }

  .log {
    grid-area: log;
    min-height: 0;
    min-width: 0;
    overflow-y: auto;
    padding: 16px;
    display: flex;
    flex-direction: column;
    gap: 10px;
  }
  .log:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: -2px;
  }
  /* Few messages sit at the bottom, next to the composer, as in any chat; scrolling still works. */
  .log > :first-child {
    margin-top: auto;
  }
  .log-empty {
    margin: auto;
    max-width: 32ch;
    text-align: center;
    color: var(--_muted);
  }
  .message {
    max-width: min(75%, 60ch);
    align-self: flex-start;
    padding: 8px 12px;
    border-radius: var(--_radius);
    border-start-start-radius: 4px;
    background: var(--_surface);
    min-width: 0;
  }
  .message.own {
    align-self: flex-end;
    border-start-start-radius: var(--_radius);
    border-start-end-radius: 4px;
    background: var(--_accent);
    color: var(--_on-accent);
  }
  .message-meta {
    display: flex;
    align-items: baseline;
    gap: 8px;
    font-size: 12px;
    color: var(--_muted);
    min-width: 0;
  }
  .message.own .message-meta,
  .message.own .delivery {
    color: var(--_on-accent-muted);
  }
  .author {
    font-weight: 600;
    color: var(--_text);
    overflow: hidden;
    white-space: nowrap;
    text-overflow: ellipsis;
    min-width: 0;
  }
  .message.own .author {
    color: var(--_on-accent);
  }
  .message-meta time {
    flex: none;
  }
  .text {
    margin: 2px 0 0;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    unicode-bidi: isolate;
    max-height: 24em;
    overflow-y: auto;
    scrollbar-width: thin;
  }
  .text code,
  .text pre {
    font: 0.92em ui-monospace, monospace;
    border-radius: 4px;
  }
  .text code:not(pre > code),
  .text pre {
    background: color-mix(in srgb, currentColor 12%, transparent);
  }
  .text code:not(pre > code) {
    padding: 0 3px;
  }
  .text pre {
    margin: 4px 0;
    padding: 6px 8px;
    white-space: pre;
    overflow-x: auto;
  }
  .text a {
    color: inherit;
  }
  .delivery {
    margin: 4px 0 0;
    font-size: 12px;
    text-align: end;
  }
  .delivery[data-state='failed'] {
    font-weight: 600;
  }
  .message {
    position: relative;
  }
  .message:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  .edited {
    font-style: italic;
  }
  .text.deleted {
    font-style: italic;
    opacity: 0.8;
  }
  /* The quote above a reply: a button that goes to the original. */
  .quote {
    display: flex;
    flex-direction: column;
    align-items: flex-start;
    gap: 0;
    height: auto;
    max-width: 100%;
    margin: 4px 0 2px;
    padding: 2px 8px;
    font-size: 13px;
    font-weight: 400;
    text-align: start;
    color: inherit;
    background: color-mix(in srgb, currentColor 10%, transparent);
    border: none;
    border-inline-start: 3px solid currentColor;
    border-radius: 4px;
  }
  .quote.missing {
    font-style: italic;
  }
  .quote-author {
    font-weight: 600;
  }
  .quote-text {
    max-width: 100%;
    overflow: hidden;
    white-space: nowrap;
    text-overflow: ellipsis;
    unicode-bidi: isolate;
  }
  .reactions {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    margin-top: 4px;
  }
  button.reaction {
    height: 26px;
    padding: 0 8px;
    display: inline-flex;
    align-items: center;
    gap: 4px;
    font-size: 13px;
    font-weight: 600;
    color: var(--_text);
    background: var(--_background);
    border: 1px solid var(--_border);
    border-radius: 999px;
  }
  button.reaction[aria-pressed='true'] {
    border-color: var(--_accent);
    box-shadow: inset 0 0 0 1px var(--_accent);
  }
  /* A message's actions show while it is hovered or holds the focus (hidden ones are not tab stops). */
  .message-actions {
    display: none;
    flex-wrap: wrap;
    gap: 2px;
    margin-top: 6px;
  }
  .message:hover .message-actions,
  .message:focus-within .message-actions {
    display: flex;
  }
  .message-actions button {
    height: 30px;
    padding: 0 8px;
    font-size: 13px;
    color: var(--_text);
    background: var(--_background);
    border: 1px solid var(--_border);
    border-radius: 8px;
  }
  .message-actions .quick-reaction {
    padding: 0 5px;
    font-size: 15px;
  }
  /* Emoji in colour, wherever the page's font has black-and-white glyphs for some of them. */
  .quick-reaction,
  .reaction-emoji {
    font-family: 'Apple Color Emoji', 'Segoe UI Emoji', 'Noto Color Emoji', emoji, sans-serif;
  }
  .message-actions .quick-reaction[aria-pressed='true'] {
    border-color: var(--_accent);
  }
  .message-actions .delete[data-confirming='true'] {
    color: var(--_background);
    background: var(--_bad);
    border-color: var(--_bad);
  }
  .composer-buttons {
    display: flex;
    gap: 6px;
    align-self: end;
  }
  .attach {
    position: relative;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    width: 44px;
    height: 44px;
    font-size: 20px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    cursor: pointer;
  }
  .attach:focus-within {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  .attach[data-disabled] {
    opacity: 0.5;
    cursor: not-allowed;
  }
  /* The real file input, invisible over its label: it keeps the keyboard focus and the picker. */
  .attach-input {
    position: absolute;
    inset: 0;
    opacity: 0;
    width: 100%;
    cursor: inherit;
  }
  .preparing-file {
    grid-column: 1 / -1;
    margin: 0;
    font-size: 13px;
    color: var(--_muted);
  }
  .file {
    display: flex;
    gap: 10px;
    align-items: flex-start;
    margin-top: 4px;
    min-width: 0;
  }
  .file-preview {
    display: block;
    max-width: min(240px, 40vw);
    max-height: 240px;
    width: auto;
    height: auto;
    border-radius: 6px;
    background: var(--_background);
  }
  .file-preview[hidden] {
    display: none;
  }
  .file-icon {
    font-size: 32px;
    line-height: 1;
  }
  .file-body {
    display: flex;
    flex-direction: column;
    align-items: flex-start;
    gap: 4px;
    min-width: 0;
  }
  .file-name {
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .file-details,
  .file-status {
    font-size: 12px;
  }
  .file-status[data-tone='bad'] {
    font-weight: 600;
  }
  .file progress {
    width: 100%;
    min-width: 160px;
    accent-color: var(--_accent);
  }
  .file-action {
    display: inline-flex;
    align-items: center;
    height: 32px;
    padding: 0 12px;
    font: inherit;
    font-size: 13px;
    font-weight: 600;
    text-decoration: none;
    color: var(--_text);
    background: var(--_background);
    border: 1px solid var(--_border);
    border-radius: 8px;
    cursor: pointer;
  }
  .file-action:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  .new-messages-line {
    display: flex;
    align-items: center;
    gap: 8px;
    font-size: 12px;
    font-weight: 600;
    color: var(--_bad);
  }
  .new-messages-line::before,
  .new-messages-line::after {
    content: '';
    flex: 1;
    border-top: 1px solid currentColor;
  }
  /* Stays at the bottom of the log while the reader is scrolled up. */
  button.jump-latest {
    position: sticky;
    bottom: 0;
    align-self: center;
    flex: none;
    height: 36px;
    padding: 0 16px;
    font-size: 13px;
    border-radius: 999px;
    box-shadow: 0 2px 8px rgb(0 0 0 / 0.25);
  }
  .typing {
    grid-column: 1 / -1;
    margin: 0;
    min-height: 1.2em;
    font-size: 12px;
    color: var(--_muted);
  }
  .composer-mode {
    grid-column: 1 / -1;
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 4px 4px 4px 10px;
    border-inline-start: 3px solid var(--_accent);
    background: var(--_surface);
    border-radius: 4px;
    min-width: 0;
  }
  .composer-mode-text {
    flex: 1;
    margin: 0;
    display: flex;
    flex-direction: column;
    font-size: 13px;
    min-width: 0;
  }
  button.composer-mode-cancel {
    height: 30px;
    padding: 0 10px;
    font-size: 13px;
    color: var(--_text);
    background: var(--_background);
    border: 1px solid var(--_border);
  }

  .composer {
    grid-area: composer;
    display: grid;
    grid-template-columns: 1fr auto;
    gap: 4px 8px;
    padding: 12px 16px;
    border-top: 1px solid var(--_border);
  }
  textarea {
    resize: none;
    min-height: 44px;
    max-height: 160px;
    padding: 10px 12px;
    font: inherit;
    color: inherit;
    background: var(--_background);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  textarea:focus {
    outline: 2px solid var(--_accent);
    outline-offset: -1px;
    border-color: transparent;
  }
  textarea[aria-invalid='true'] {
    border-color: var(--_bad);
  }
  button {
    align-self: end;
    height: 44px;
    padding: 0 20px;
    font: inherit;
    font-weight: 600;
    color: var(--_on-accent);
    background: var(--_accent);
    border: none;
    border-radius: var(--_radius);
    cursor: pointer;
  }
  button:hover:not(:disabled) {
    filter: brightness(1.08);
  }
  button:disabled,
  textarea:disabled {
    opacity: 0.5;
    cursor: not-allowed;
  }
  button:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  .composer-error {
    grid-column: 1 / -1;
    margin: 0;
    font-size: 13px;
    color: var(--_bad);
  }
  .composer-error:empty {
    display: none;
  }

  /* Narrow containers (phones, small embeds): people become a strip above the log. */
  @container (max-width: 600px) {
    .chat {
      grid-template-columns: 1fr;
      grid-template-areas: 'header' 'status' 'people' 'log' 'composer';
      grid-template-rows: auto auto auto 1fr auto;
    }
    .participants {
      border-inline-end: none;
      border-bottom: 1px solid var(--_border);
      padding: 8px 12px;
    }
    .section-title {
      display: none;
    }
    .participants ul {
      flex-direction: row;
      overflow-x: auto;
      gap: 6px;
      scrollbar-width: thin;
    }
    .participants li {
      flex: none;
    }
    .participant {
      flex: none;
      max-width: 60vw;
      padding: 4px 10px 4px 4px;
      border-radius: 999px;
      background: var(--_background);
      border: 1px solid var(--_border);
      grid-template-areas: 'avatar name' 'avatar state';
    }
    .avatar {
      width: 26px;
      height: 26px;
      font-size: 12px;
    }
    .peer-state {
      font-size: 11px;
    }
    .message {
      max-width: 88%;
    }
    .composer {
      padding: 8px 10px;
    }
  }
`;
