/**
 * etcd's streaming RPCs over gRPC: Watch (bidirectional, many watches per stream), LeaseKeepAlive
 * (one answer per request, in order) and Snapshot (server stream). The semantics come from the
 * same service calls the gateway's streams use; this file only moves messages.
 */
import type { handleBidiStreamingCall, handleServerStreamingCall } from '@grpc/grpc-js';
import type { LeaseKeepAliveRequest, WatchResponse, WatchStream } from '../api/kv.js';
import { STREAMING } from '../api/rpcs.js';
import { snapshotChunks } from '../http/routes/maintenance.js';
import { decodeRequest, endWithoutLeader, failStream, requireLeader, send, writeOrWait, type GrpcContext } from './calls.js';
import type { Sized } from './definitions.js';
import { toProto, type ProtoObject } from './proto-object.js';
import { encodeWatchResponse } from './watch-encode.js';

type Bidi = handleBidiStreamingCall<Sized, ProtoObject>;

/** Watch responses go to grpc-js as bytes (definitions.ts PRE_SERIALIZED_RESPONSES). */
export function watchCall(ctx: GrpcContext): handleBidiStreamingCall<Sized, Buffer> {
  return (call) => {
    void (async () => {
      let stream: WatchStream;
      try {
        await requireLeader(ctx, call.metadata);
        stream = ctx.serviceFor(call).watch();
      } catch (err) {
        failStream(call, err);
        return;
      }
      // A client half-close does not end the stream: etcd keeps sending events until cancelled.
      call.on('data', (m: Sized) => {
        try {
          const req = decodeRequest(ctx, STREAMING.watch, m);
          if (req !== undefined) stream.send(req);
        } catch (err) {
          failStream(call, err);
          stream.close();
        }
      });
      const untrack = endWithoutLeader(ctx, call.metadata, (err) => {
        failStream(call, err);
        stream.close();
      });
      call.on('cancelled', () => stream.close());
      call.on('close', () => stream.close());
      // The client may have gone while the leader check ran: its 'cancelled' has been emitted.
      if (call.cancelled || call.destroyed) stream.close();
      try {
        const gone = (): boolean => call.cancelled || call.destroyed;
        for await (const first of stream) {
          // Then whatever else is buffered, without a promise per response (issue 18).
          for (let wr: WatchResponse | undefined = first; wr !== undefined && !gone(); wr = stream.takeReady?.()) {
            const wait = writeOrWait(call, encodeWatchResponse(wr));
            if (wait !== undefined) await wait;
          }
          if (gone()) break;
        }
        if (!call.cancelled && !call.destroyed) call.end();
      } catch (err) {
        failStream(call, err);
      } finally {
        untrack();
        stream.close();
      }
    })();
  };
}

export function leaseKeepAliveCall(ctx: GrpcContext): Bidi {
  return (call) => {
    const rpc = STREAMING.leaseKeepAlive;
    const service = ctx.serviceFor(call);
    // One request at a time, as etcd's receive loop: answers stay in order and a client that
    // sends faster than renewals complete is held back by HTTP/2 flow control, not buffered.
    call.pause();
    call.on('data', (m: Sized) => {
      call.pause();
      void (async () => {
        const req: LeaseKeepAliveRequest = decodeRequest(ctx, rpc, m);
        await send(call, toProto(rpc.response, await service.leaseKeepAlive(req)));
        call.resume();
      })().catch((err: unknown) => failStream(call, err));
    });
    // After a half-close etcd answers what it has (done: reading resumes only after each
    // answer) and ends with OK.
    call.on('end', () => {
      if (!call.cancelled && !call.destroyed) call.end();
    });
    const untrack = endWithoutLeader(ctx, call.metadata, (err) => failStream(call, err));
    call.on('close', untrack);
    call.on('cancelled', untrack);
    requireLeader(ctx, call.metadata).then(
      () => call.resume(),
      (err: unknown) => {
        untrack();
        failStream(call, err);
      },
    );
  };
}

export function snapshotCall(ctx: GrpcContext): handleServerStreamingCall<Sized, ProtoObject> {
  return (call) => {
    void (async () => {
      try {
        decodeRequest(ctx, STREAMING.snapshot, call.request);
        for await (const chunk of snapshotChunks(await ctx.serviceFor(call).snapshot())) {
          if (call.cancelled || call.destroyed) return;
          await send(call, toProto(STREAMING.snapshot.response, chunk));
        }
        call.end();
      } catch (err) {
        failStream(call, err);
      }
    })();
  };
}
