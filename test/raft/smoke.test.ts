import { describe, expect, it } from 'vitest';
import { Network } from './network.js';

describe('smoke', () => {
  it('elects and replicates', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    expect(net.node(1).raft.state).toBe('leader');
    net.propose(1, 'a');
    net.propose(2, 'b');
    for (const id of [1, 2, 3]) expect(net.node(id).appliedData()).toEqual(['a', 'b']);
  });
});
