/** Keys and values are bytes: the gateway speaks base64, the plain API percent-escapes. */
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** The text, or undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(b: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(b);
  } catch {
    return undefined;
  }
}

/** Text for display: valid UTF-8 as is, anything else with its bytes escaped. */
export function showBytes(b: Uint8Array): string {
  const text = decodeUtf8(b);
  if (text !== undefined) return text;
  let out = '';
  for (const x of b) out += x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : `\\x${x.toString(16).padStart(2, '0')}`;
  return out;
}

export function toBase64(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

export function fromBase64(s: string | undefined): Uint8Array {
  if (s === undefined || s === '') return new Uint8Array(0);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function hexDump(b: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < b.length; at += 16) {
    const row = b.subarray(at, at + 16);
    const hex = [...row].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** etcd's prefix range end: the prefix with its last byte below 0xff incremented; "\0" = every key. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if ((prefix[i] as number) < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = (prefix[i] as number) + 1;
      return end;
    }
  }
  return new Uint8Array([0]);
}

/** A key as a /kv/ path: every byte percent-escaped but the unreserved ones, so any byte string works. */
export function keyPath(key: Uint8Array): string {
  let out = '';
  for (const x of key) {
    const c = String.fromCharCode(x);
    out += /[A-Za-z0-9\-._~/]/.test(c) ? c : `%${x.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

export function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > b.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
