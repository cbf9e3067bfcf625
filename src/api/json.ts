/**
 * etcd's gateway JSON (etcd-gateway.md §1.2, §5.1) in one place for the HTTP server and the
 * HTTP client: read a request or response body, write one, and the error bodies.
 */
import type { ErrorCode } from '../util/errors.js';
import { ERRORS, KvError, httpStatusFromGrpc } from '../util/errors.js';
import type { GrpcCode } from '../util/errors.js';
import { decodeMessage } from './json/decode.js';
import type { MessageDesc } from './json/descriptor.js';
import { encodeMessage } from './json/encode.js';
import { JsonNumber, JsonSyntaxError, parseFirstValue } from './json/parse.js';
import type { JsonValue } from './json/parse.js';

export { decodeMessage } from './json/decode.js';
export { encodeMessage } from './json/encode.js';
export { protoSize } from './json/proto-size.js';
export type { MessageDesc } from './json/descriptor.js';
export { JsonStreamReader } from './json/stream-reader.js';

/** Parses the first JSON value of a body, as Go's json.Decoder does (trailing bytes ignored). */
export function parseJsonBody(text: string): JsonValue | undefined {
  try {
    return parseFirstValue(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new KvError('InvalidArgument', err.message);
    throw err;
  }
}

/** A unary body → the request; an empty body is the empty message. */
export function decodeJson<T>(desc: MessageDesc<T>, text: string): T {
  return decodeMessage(desc, parseJsonBody(text));
}

export interface ErrorBody {
  readonly error: string;
  readonly code: number;
  readonly message: string;
}

/** etcd 3.5's unary error body: `{"error":m,"code":c,"message":m}`. */
export function errorBodyJson(code: GrpcCode, message: string): string {
  return JSON.stringify({ error: message, code, message } satisfies ErrorBody);
}

/** grpc-gateway's stream error chunk, written when a stream fails after (or before) it began. */
export function streamErrorJson(code: GrpcCode, message: string, httpStatusText: string): string {
  const error = { grpc_code: code, http_code: httpStatusFromGrpc(code), message, http_status: httpStatusText };
  return JSON.stringify({ error });
}

const codeByMessage = new Map<string, ErrorCode>(
  (Object.entries(ERRORS) as Array<[ErrorCode, readonly [GrpcCode, string]]>).map(([code, [, message]]) => [message, code]),
);

/** The KvError an error body describes (for the HTTP client); unknown texts keep their gRPC code. */
export function kvErrorFromBody(body: ErrorBody): KvError {
  const code = codeByMessage.get(body.message);
  if (code !== undefined) return new KvError(code);
  return new WireError(body.code as GrpcCode, body.message);
}

/** An error from a server known only by its gRPC code and text (code `Unknown` in cairn's table). */
export class WireError extends KvError {
  override readonly grpcCode: GrpcCode;
  constructor(grpcCode: GrpcCode, message: string) {
    super('Unknown', message);
    this.grpcCode = grpcCode;
  }
}

/**
 * One message of a streaming response (`{"result":…}` or grpc-gateway's `{"error":{…}}`), for
 * the HTTP client: the decoded result, or the error thrown as a KvError.
 */
export function decodeStreamItem<T>(desc: MessageDesc<T>, item: JsonValue): T {
  if (item instanceof Map) {
    const result = item.get('result');
    if (result !== undefined) return decodeMessage(desc, result);
    const error = item.get('error');
    if (error instanceof Map) {
      const code = error.get('grpc_code');
      const message = error.get('message');
      const grpc = code instanceof JsonNumber ? Number(code.text) : GRPC_UNKNOWN;
      const text = typeof message === 'string' ? message : 'unknown stream error';
      throw kvErrorFromBody({ error: text, code: grpc, message: text });
    }
  }
  throw new KvError('InvalidArgument', 'cairn: a stream message holds neither "result" nor "error"');
}

const GRPC_UNKNOWN = 2;
