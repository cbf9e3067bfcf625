/**
 * Who an HTTP request says it is (etcd-auth-tls §4.2): the gateway takes the token from
 * `Grpc-Metadata-Token` first, then `Authorization`, the raw token as etcd's gateway does, with a
 * `Bearer ` prefix accepted too (etcd 3.5.32+), which is how the plain `/kv/` API and SSE send it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Credentials } from '../api/auth-types.js';
import { KvError } from '../util/errors.js';

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function credentialsOf(headers: IncomingHttpHeaders): Credentials {
  const raw = first(headers['grpc-metadata-token']) ?? first(headers.authorization);
  if (raw === undefined || raw === '') return {};
  const token = /^bearer /i.test(raw) ? raw.slice('bearer '.length).trim() : raw.trim();
  return token === '' ? {} : { token };
}

/**
 * The plain API answers auth failures as HTTP does (RFC 6750): 401 with a `WWW-Authenticate`
 * challenge when the caller is unknown (no token, a bad or stale one), 403 when it may not.
 * Returns the status, or undefined for an error that is not about auth.
 */
export function challenge(reply: FastifyReply, err: unknown): number | undefined {
  if (!(err instanceof KvError)) return undefined;
  switch (err.code) {
    case 'UserEmpty':
      reply.header('www-authenticate', 'Bearer realm="cairn"');
      return 401;
    case 'InvalidAuthToken':
    case 'AuthOldRevision':
      reply.header('www-authenticate', `Bearer realm="cairn", error="invalid_token", error_description="${err.message}"`);
      return 401;
    case 'PermissionDenied':
      reply.header('www-authenticate', 'Bearer realm="cairn", error="insufficient_scope"');
      return 403;
    default:
      return undefined;
  }
}
