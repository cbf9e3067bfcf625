/**
 * etcd's v3lock and v3election services over gRPC: the recipes of src/api/recipes run as the
 * caller of each call (so auth applies), as the gateway's /v3/lock and /v3/election paths run
 * them. A call that goes away aborts its wait. Every failure is code 2 with its text, as etcd's.
 */
import type { handleServerStreamingCall, handleUnaryCall, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type { KV } from '../api/kv.js';
import { RECIPES, type Rpc } from '../api/rpcs.js';
import { campaign, leader, observe, proclaim, resign } from '../api/recipes/election.js';
import { lock, recipeFailure, unlock } from '../api/recipes/lock.js';
import { decodeRequest, failStream, send, toStatus, type GrpcContext } from './calls.js';
import type { Sized } from './definitions.js';
import { toProto, type ProtoObject } from './proto-object.js';

type Unary = handleUnaryCall<Sized, ProtoObject>;
type ServerStream = handleServerStreamingCall<Sized, ProtoObject>;

/** Aborts when the client cancels the call or its deadline passes. */
function signalOf(call: ServerUnaryCall<Sized, ProtoObject> | ServerWritableStream<Sized, ProtoObject>): AbortSignal {
  const controller = new AbortController();
  call.once('cancelled', () => controller.abort());
  if (call.cancelled) controller.abort();
  return controller.signal;
}

function recipe<Req, Res>(ctx: GrpcContext, rpc: Rpc<Req, Res>, run: (s: KV, req: Req, signal: AbortSignal) => Promise<Res>): Unary {
  return (call, callback) => {
    void (async () => {
      const res = await run(ctx.serviceFor(call), decodeRequest(ctx, rpc, call.request), signalOf(call));
      callback(null, toProto(rpc.response, res));
    })().catch((err: unknown) => callback(toStatus(recipeFailure(err))));
  };
}

export function lockService(ctx: GrpcContext): Record<string, Unary> {
  return {
    Lock: recipe(ctx, RECIPES.lock, lock),
    Unlock: recipe(ctx, RECIPES.unlock, (s, req) => unlock(s, req)),
  };
}

export function electionService(ctx: GrpcContext): Record<string, Unary | ServerStream> {
  return {
    Campaign: recipe(ctx, RECIPES.campaign, campaign),
    Proclaim: recipe(ctx, RECIPES.proclaim, (s, req) => proclaim(s, req)),
    Leader: recipe(ctx, RECIPES.leader, (s, req) => leader(s, req)),
    Resign: recipe(ctx, RECIPES.resign, (s, req) => resign(s, req)),
    Observe: ((call) => {
      void (async () => {
        try {
          const req = decodeRequest(ctx, RECIPES.observe, call.request);
          for await (const res of observe(ctx.serviceFor(call), req, signalOf(call))) {
            await send(call, toProto(RECIPES.observe.response, res));
          }
        } catch (err) {
          failStream(call, recipeFailure(err));
        }
      })();
    }) satisfies ServerStream,
  };
}
