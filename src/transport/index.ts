/** The peer transport (see transport.ts for the contract). */
export type {
  MsgSnap,
  PeerStats,
  Transport,
  TransportHandler,
  TransportLimits,
  TransportLog,
  TransportLogEvent,
  TransportStats,
} from './transport.js';
export { DEFAULT_LIMITS } from './transport.js';
export { TcpTransport, type TcpTransportOptions } from './tcp-transport.js';
export { MemoryTransport, type MemoryTransportOptions } from './memory-transport.js';
export { MemoryNetwork, type MemoryNetworkOptions, type Schedule } from './memory-network.js';
export type { PeerTlsOptions } from './dial.js';
export type { BackoffOptions } from './backoff.js';
export { collectSnapshotData } from './chunk-queue.js';
export { validateMessage, MalformedMessage } from './validate.js';
export { FrameDecoder, FrameError, encodeFrame, decodePayload } from './codec.js';
export { PROTOCOL_VERSION } from './frames.js';
