import { TcpTransport } from '../../src/transport/tcp-transport.js';
import { transportConformance } from './conformance.js';

transportConformance('TcpTransport', {
  create: ({ id, clusterId, handler, address, limits }) => {
    const transport = new TcpTransport({
      id,
      clusterId,
      handler,
      limits,
      listenUrl: address ?? 'http://127.0.0.1:0',
      backoff: { minMs: 5, maxMs: 40 },
      pingIntervalMs: 50,
    });
    return { transport, url: () => transport.url };
  },
});
