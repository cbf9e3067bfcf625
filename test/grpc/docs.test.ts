/** docs/grpc.md cannot fall behind: every RPC cairn serves over gRPC is named in its table. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serviceDefinition } from '../../src/grpc/definitions.js';
import { SERVED_SERVICES } from '../../src/grpc/server.js';

const doc = readFileSync(new URL('../../docs/grpc.md', import.meta.url), 'utf8');

describe('docs/grpc.md', () => {
  it('names every served service and method', () => {
    for (const service of SERVED_SERVICES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${service}\` |`));
      expect(row, service).toBeDefined();
      for (const method of Object.keys(serviceDefinition(service))) expect(row, `${service}/${method}`).toMatch(new RegExp(`\\b${method}\\b`));
    }
  });
});
