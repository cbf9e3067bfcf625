/**
 * Base64 as etcd's gateway reads and writes bytes fields: Go's `base64.StdEncoding` (standard
 * alphabet, padding required, CR/LF skipped, non-zero trailing bits tolerated). Node's decoder is
 * lenient (accepts `-_` and missing padding), so decoding is done here to reproduce Go's
 * `illegal base64 data at input byte N` at the same N.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export class Base64Error extends Error {
  override readonly name = 'Base64Error';
  constructor(readonly offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
  }
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function valueOf(code: number): number {
  return code < 128 ? (DECODE[code] as number) : -1;
}

const isNewline = (code: number | undefined): boolean => code === 10 || code === 13;

/** Go's `(*Encoding).Decode`; throws Base64Error at Go's offset. */
export function decodeBase64(text: string): Uint8Array {
  // Fast path, all native: input that re-encodes to itself is canonical padded base64, which
  // Node decodes exactly as Go does. Anything else takes Go's algorithm below.
  const fast = Buffer.from(text, 'base64');
  if (fast.toString('base64') === text) return new Uint8Array(fast.buffer, fast.byteOffset, fast.length).slice();
  return decodeQuantums(text);
}

/** Go's decoder quantum by quantum, for input that is malformed or carries line breaks. */
function decodeQuantums(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let n = 0;
  let si = 0;
  const quantum = [0, 0, 0, 0];
  for (;;) {
    let j = 0;
    let dlen = 4;
    for (; j < 4; j++) {
      if (si === text.length) {
        if (j === 0) return out.subarray(0, n);
        // Padding is required: a short final quantum is an error at its start.
        throw new Base64Error(si - j);
      }
      const code = text.charCodeAt(si);
      si++;
      const v = valueOf(code);
      if (v >= 0) {
        quantum[j] = v;
        continue;
      }
      if (isNewline(code)) {
        j--;
        continue;
      }
      if (code !== 61 /* = */) throw new Base64Error(si - 1);
      // Padding: only after 2 or 3 data characters, "==" after 2.
      if (j === 0 || j === 1) throw new Base64Error(si - 1);
      if (j === 2) {
        while (si < text.length && isNewline(text.charCodeAt(si))) si++;
        if (si === text.length) throw new Base64Error(text.length);
        if (text.charCodeAt(si) !== 61) throw new Base64Error(si - 1);
        si++;
      }
      while (si < text.length && isNewline(text.charCodeAt(si))) si++;
      if (si < text.length) throw new Base64Error(si);
      dlen = j;
      break;
    }
    const [a, b, c, d] = quantum as [number, number, number, number];
    const word = (a << 18) | (b << 12) | ((dlen > 2 ? c : 0) << 6) | (dlen > 3 ? d : 0);
    out[n++] = (word >> 16) & 0xff;
    if (dlen > 2) out[n++] = (word >> 8) & 0xff;
    if (dlen > 3) out[n++] = word & 0xff;
    if (dlen < 4) return out.subarray(0, n);
  }
}
