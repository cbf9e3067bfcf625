/**
 * `txn`: reads compares, a blank line, success ops, a blank line, failure ops (and a blank
 * line) from stdin; `-i` prints etcdctl's prompts before each section. End of input also
 * ends a section, so a file without the trailing blank lines works.
 */
import type { Compare, RequestOp } from '../../api/kv.js';
import type { Command } from './context.js';
import { flagBool } from './context.js';
import type { LineInput } from './stdin.js';
import { parseCompare, parseRequestOp } from './txn-parse.js';

async function readSection<T>(input: LineInput, parse: (line: string) => T): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const line = await input.readLine();
    if (line === undefined || line.trim() === '') return out;
    out.push(parse(line.trim()));
  }
}

export const txnCommand: Command = {
  name: 'txn',
  usage: 'txn [options]',
  summary: 'Txn processes all the requests in one transaction',
  flags: [{ name: 'interactive', kind: 'bool', help: 'Input transaction in interactive mode (-i)' }],
  async run(ctx) {
    const interactive = flagBool(ctx, 'interactive');
    const prompt = (text: string) => {
      if (interactive) ctx.io.sink.out(`${text}\n`);
    };
    prompt('compares:');
    const compare: Compare[] = await readSection(ctx.io.stdin, parseCompare);
    prompt('success requests (get, put, del):');
    const success: RequestOp[] = await readSection(ctx.io.stdin, parseRequestOp);
    prompt('failure requests (get, put, del):');
    const failure: RequestOp[] = await readSection(ctx.io.stdin, parseRequestOp);
    ctx.printer().txn(await ctx.client().txn({ compare, success, failure }));
  },
};
