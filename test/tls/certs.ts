/**
 * Certificates for TLS tests, made in-process with `selfsigned` (EC P-256, fast) and cached per
 * test file: a CA, a member certificate signed by it (SANs 127.0.0.1, ::1, localhost; usable as
 * server and client), client certificates (CN alice, an expired one, a CN-less one) and a
 * second CA with its own member and client certificates, for "wrong CA" cases.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly ca: Pem;
  readonly member: Pem;
  /** CN=alice, signed by `ca`. */
  readonly alice: Pem;
  /** CN=alice, signed by `ca`, expired yesterday. */
  readonly expired: Pem;
  /** No CN (only O=cairn-test), signed by `ca`. */
  readonly nameless: Pem;
  /** CN=mallory, signed by `otherCa`. */
  readonly stranger: Pem;
  readonly otherCa: Pem;
  /** A member certificate signed by `otherCa` (a member of someone else's cluster). */
  readonly otherMember: Pem;
  /** Everything above as files in a fresh directory: `<name>.pem` and `<name>-key.pem`. */
  readonly dir: string;
  file(name: keyof Omit<TestPki, 'dir' | 'file'>, part?: 'cert' | 'key'): string;
}

const DAY = 24 * 3600 * 1000;

async function make(cn: string, o: { ca?: Pem; isCa?: boolean; expired?: boolean; hosts?: boolean; commonNameLess?: boolean } = {}): Promise<Pem> {
  const now = Date.now();
  const pem = await generate(o.commonNameLess ? [{ name: 'organizationName', value: 'cairn-test' }] : [{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - (o.expired ? 3 * DAY : DAY)),
    notAfterDate: new Date(now + (o.expired ? -DAY : 30 * DAY)),
    ...(o.ca ? { ca: { cert: o.ca.cert, key: o.ca.key } } : {}),
    extensions: o.isCa
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
          {
            name: 'subjectAltName',
            altNames: o.hosts ? [{ type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }, { type: 2, value: 'localhost' }] : [{ type: 2, value: cn }],
          },
        ],
  });
  return { cert: pem.cert, key: pem.private };
}

let cached: Promise<TestPki> | undefined;

export function testPki(): Promise<TestPki> {
  cached ??= (async () => {
    const ca = await make('cairn test CA', { isCa: true });
    const otherCa = await make('someone else CA', { isCa: true });
    const pems = {
      ca,
      member: await make('member', { ca, hosts: true }),
      alice: await make('alice', { ca }),
      expired: await make('alice', { ca, expired: true }),
      nameless: await make('nameless', { ca, commonNameLess: true }),
      stranger: await make('mallory', { ca: otherCa }),
      otherCa,
      otherMember: await make('member', { ca: otherCa, hosts: true }),
    };
    const dir = mkdtempSync(join(tmpdir(), 'cairn-pki-'));
    for (const [name, pem] of Object.entries(pems)) {
      writeFileSync(join(dir, `${name}.pem`), pem.cert);
      writeFileSync(join(dir, `${name}-key.pem`), pem.key, { mode: 0o600 });
    }
    return { ...pems, dir, file: (name, part = 'cert') => join(dir, part === 'cert' ? `${name}.pem` : `${name}-key.pem`) };
  })();
  return cached;
}
