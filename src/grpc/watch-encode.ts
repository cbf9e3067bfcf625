/**
 * Watch responses as protobuf bytes, each event encoded once however many watchers carry it
 * (issue 18, the gRPC twin of http/watch-encode.ts). The service hands one API Event object to
 * every watcher it matches and one header object to every response of a revision on a stream,
 * so weak caches keyed by those objects make a fan-out's per-watcher work a watch ID and a
 * copy of shared bytes. The bytes equal what proto-loader's serializer writes for
 * `toProto(WatchResponseDesc, wr)` (test/grpc/watch-encode.test.ts holds them to that): the Watch
 * method's response serializer passes them through (definitions.ts).
 */
import type { Event, KeyValue, ResponseHeader, WatchResponse } from '../api/kv.js';
import { boolField, bytesField, encodePieces, stringField, varintField, type FieldPiece } from './proto-wire.js';

const EVENT_TYPES = { PUT: 0, DELETE: 1 } as const;

/** Field numbers of rpc.proto's WatchResponse. */
const WR = { header: 1, watchId: 2, created: 3, canceled: 4, compactRevision: 5, cancelReason: 6, fragment: 7, events: 11 } as const;

const eventPieces = new WeakMap<Event, FieldPiece>();
const headerPieces = new WeakMap<ResponseHeader, FieldPiece>();

function keyValueBytes(kv: KeyValue): Buffer {
  const pieces: FieldPiece[] = [];
  // A field the object has is written even when zero, as protobufjs does for proto3 scalars.
  if (kv.key !== undefined) pieces.push(bytesField(1, kv.key));
  if (kv.createRevision !== undefined) pieces.push(varintField(2, kv.createRevision));
  if (kv.modRevision !== undefined) pieces.push(varintField(3, kv.modRevision));
  if (kv.version !== undefined) pieces.push(varintField(4, kv.version));
  if (kv.value !== undefined) pieces.push(bytesField(5, kv.value));
  if (kv.lease !== undefined) pieces.push(varintField(6, kv.lease));
  return encodePieces(pieces);
}

/** mvccpb.Event as WatchResponse field 11 (key, length, message). */
function eventPiece(ev: Event): FieldPiece {
  let piece = eventPieces.get(ev);
  if (piece === undefined) {
    const pieces = [varintField(1, EVENT_TYPES[ev.type]), bytesField(2, keyValueBytes(ev.kv))];
    if (ev.prevKv !== undefined) pieces.push(bytesField(3, keyValueBytes(ev.prevKv)));
    piece = bytesField(WR.events, encodePieces(pieces));
    eventPieces.set(ev, piece);
  }
  return piece;
}

/** etcdserverpb.ResponseHeader as WatchResponse field 1. */
function headerPiece(h: ResponseHeader): FieldPiece {
  let piece = headerPieces.get(h);
  if (piece === undefined) {
    const pieces: FieldPiece[] = [];
    if (h.clusterId !== undefined) pieces.push(varintField(1, h.clusterId));
    if (h.memberId !== undefined) pieces.push(varintField(2, h.memberId));
    if (h.revision !== undefined) pieces.push(varintField(3, h.revision));
    if (h.raftTerm !== undefined) pieces.push(varintField(4, h.raftTerm));
    piece = bytesField(WR.header, encodePieces(pieces));
    headerPieces.set(h, piece);
  }
  return piece;
}

/** The serialized etcdserverpb.WatchResponse, fields in number order. */
export function encodeWatchResponse(wr: WatchResponse): Buffer {
  const pieces: FieldPiece[] = [headerPiece(wr.header), varintField(WR.watchId, wr.watchId)];
  if (wr.created !== undefined) pieces.push(boolField(WR.created, wr.created));
  if (wr.canceled !== undefined) pieces.push(boolField(WR.canceled, wr.canceled));
  if (wr.compactRevision !== undefined) pieces.push(varintField(WR.compactRevision, wr.compactRevision));
  if (wr.cancelReason !== undefined) pieces.push(stringField(WR.cancelReason, wr.cancelReason));
  if (wr.fragment !== undefined) pieces.push(boolField(WR.fragment, wr.fragment));
  const events = wr.events;
  if (events !== undefined) for (const ev of events) pieces.push(eventPiece(ev));
  return encodePieces(pieces);
}
