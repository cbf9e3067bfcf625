import { MemoryNetwork } from '../../src/transport/memory-network.js';
import { MemoryTransport } from '../../src/transport/memory-transport.js';
import { transportConformance } from './conformance.js';

let next = 0;
const network = new MemoryNetwork();
transportConformance('MemoryTransport', {
  create: ({ id, clusterId, handler, address, limits }) => {
    const url = address ?? `mem://member-${id}-${next++}`;
    const transport = new MemoryTransport({ id, clusterId, url, network, handler, limits });
    return { transport, url: () => url };
  },
});
