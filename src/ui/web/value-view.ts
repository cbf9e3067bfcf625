/** A value shown as text, pretty JSON or a hex dump; the page picks the one that fits. */
import { decodeUtf8, hexDump } from './bytes.js';
import { h } from './dom.js';

export type ValueMode = 'text' | 'json' | 'hex';

export function bestMode(value: Uint8Array): ValueMode {
  const text = decodeUtf8(value);
  if (text === undefined || /[\0-\x08\x0e-\x1f]/.test(text)) return 'hex';
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? 'json' : 'text';
  } catch {
    return 'text';
  }
}

export function showValue(value: Uint8Array, mode: ValueMode): string {
  const text = decodeUtf8(value);
  if (mode === 'hex' || text === undefined) return hexDump(value);
  if (mode === 'json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  return text;
}

/** The value with a mode switch (radio buttons: arrow keys move between them). */
export function valueViewer(value: Uint8Array): HTMLElement {
  const pre = h('pre', { class: 'value', tabindex: 0, 'aria-label': 'Value' });
  let mode = bestMode(value);
  const name = `mode${Math.random().toString(36).slice(2)}`;
  const radios = (['text', 'json', 'hex'] as const).map((m) =>
    h(
      'label',
      { class: 'radio' },
      h('input', {
        type: 'radio',
        name,
        value: m,
        checked: m === mode,
        onchange: () => {
          mode = m;
          pre.textContent = showValue(value, mode);
        },
      }),
      m === 'json' ? 'JSON' : m === 'hex' ? 'Hex' : 'Text',
    ),
  );
  pre.textContent = showValue(value, mode);
  return h('div', null, h('fieldset', { class: 'modes' }, h('legend', null, `Value (${value.length} bytes) as`), ...radios), pre);
}
