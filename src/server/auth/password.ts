/**
 * Password hashes: Node's scrypt (memory-hard) with a random per-user salt. As in etcd 3.5 the
 * member that receives UserAdd / ChangePassword hashes before proposing, so the raft entry never
 * carries the password and apply stays cheap and deterministic.
 *
 * etcd's `--bcrypt-cost` (4–31, default 10) is honoured as scrypt's cost: N = 2^(cost + 4),
 * so the default gives N = 16384 (Node's own default, about as slow as bcrypt cost 10), and cost
 * 4 (what etcd's tests use) gives N = 256. N is capped at 2^20 (128 MiB per hash with r = 8).
 * The stored form names its parameters, so hashes made under another cost still verify.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const MAX_LOG_N = 20;
export const DEFAULT_BCRYPT_COST = 10;

/** etcd's rule: a cost outside 4–31 is warned about and replaced by the default. */
export function validBcryptCost(cost: number): boolean {
  return Number.isInteger(cost) && cost >= 4 && cost <= 31;
}

function logNOf(bcryptCost: number): number {
  return Math.min(MAX_LOG_N, (validBcryptCost(bcryptCost) ? bcryptCost : DEFAULT_BCRYPT_COST) + 4);
}

function derive(password: string, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r bytes; Node's default limit (32 MiB) is below N = 2^15.
    scrypt(password, salt, KEY_BYTES, { N, r: BLOCK_SIZE, p: PARALLELISM, maxmem: 256 * N * BLOCK_SIZE }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** `scrypt$<log2 N>$<salt b64>$<hash b64>`. */
export async function hashPassword(password: string, bcryptCost: number): Promise<string> {
  const logN = logNOf(bcryptCost);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, logN);
  return `scrypt$${logN}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** False for a wrong password or a hash this module did not write. Runs off the event loop. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 4 || parts[0] !== 'scrypt') return false;
  const logN = Number(parts[1]);
  if (!Number.isInteger(logN) || logN < 1 || logN > MAX_LOG_N) return false;
  const salt = Buffer.from(parts[2] as string, 'base64');
  const expected = Buffer.from(parts[3] as string, 'base64');
  if (expected.length !== KEY_BYTES) return false;
  const key = await derive(password, salt, logN);
  return timingSafeEqual(key, expected);
}
