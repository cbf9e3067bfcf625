/**
 * Scenario scripts for the raft core, in the style of etcd-io/raft `testdata/*.txt`. Every
 * `.txt` file under test/raft/scenarios/ (subdirectories included) is one test. A file is a
 * sequence of blocks:
 *
 *     # comments (outside blocks) are kept
 *     command arg key=value
 *     ----
 *     expected output (ends at the first blank line; "ok" when the command prints nothing)
 *
 * `REWRITE=1 npx vitest run test/raft/scenarios.test.ts` rewrites the expected outputs (then
 * read the diff: the expectations must be correct Raft behaviour, not just what the code did).
 *
 * Commands (node ids are numbers; lists are comma-separated without spaces):
 *   add-nodes N [voters=1,2,3] [learners=4] [index=K] [prevote=true] [checkquorum=true]
 *             [election=10] [heartbeat=1] [max-size-per-msg=B] [max-inflight=N]
 *             [max-inflight-bytes=B] [max-uncommitted-size=B] [max-committed-size-per-ready=B]
 *             [read-only=safe|leaseBased] [step-down-on-removal=true]
 *       adds N nodes with the next ids; index=K starts them from a snapshot at K taken in
 *       term 1 (hard state term 1, commit K), so the first election is for term 2
 *   campaign ID                   the node campaigns (MsgHup; pre-vote first when enabled)
 *   propose ID DATA               proposes DATA (prints an error if dropped)
 *   propose-conf-change ID [transition=auto|implicit|explicit] v2 l3 r4 u5
 *                                 v=add voter, l=add learner, r=remove, u=update
 *   process-ready ID...           handles one Ready per node (persist, send, apply, advance)
 *   deliver-msgs [type=T] [drop] ID...
 *                                 steps (or drops) the messages waiting for the nodes
 *   stabilize [ID...]             processes Readies and delivers messages until quiet
 *   tick-heartbeat ID             ticks a heartbeat interval
 *   tick-election ID              ticks until the election timer fires (leader: one election timeout)
 *   tick ID N                     ticks N times
 *   raft-log ID                   the node's stored log
 *   raft-state                    role, term and leader of every node
 *   status ID                     the leader's progress for each follower
 *   cut A B | isolate ID | partition 1,2 3,4,5 | heal
 *                                 messages across a cut link are dropped when sent
 *   transfer-leadership from=ID to=ID
 *   report-unreachable ID TARGET | report-snapshot ID TARGET finish|failure
 *   compact ID INDEX              snapshot the node's storage at INDEX and compact its log
 *   read-index ID CTX             ReadIndex request with context CTX
 *   forget-leader ID
 *   restart ID                    crash: rebuild the node from its storage alone
 * Message format: `from->to Type Term:T ...` (see src/raft/describe.ts).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand, ScenarioEnv } from './scenario-env.js';

const root = join(import.meta.dirname, 'scenarios');

function findScripts(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findScripts(p));
    else if (name.endsWith('.txt')) out.push(p);
  }
  return out;
}

interface Block {
  /** Comment lines before the command, kept on rewrite. */
  readonly preamble: string[];
  readonly command: string;
  readonly line: number;
  readonly expected: string[];
}

function parseScript(text: string): { blocks: Block[]; trailer: string[] } {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let preamble: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.startsWith('#')) {
      // Comments are kept; blank lines are regenerated between blocks on rewrite.
      if (line.startsWith('#')) preamble.push(line);
      i++;
      continue;
    }
    const command = line;
    const at = i + 1;
    if (lines[i + 1] !== '----') throw new Error(`line ${at}: expected ---- after the command`);
    i += 2;
    const expected: string[] = [];
    while (i < lines.length && (lines[i] as string).trim() !== '') expected.push(lines[i++] as string);
    blocks.push({ preamble, command, line: at, expected });
    preamble = [];
  }
  return { blocks, trailer: preamble };
}

function runBlock(env: ScenarioEnv, command: string): string[] {
  const out = env.run(parseCommand(command));
  return out.length === 0 ? ['ok'] : out;
}

const scripts = findScripts(root);

describe('raft scenarios', () => {
  it('finds scripts', () => {
    expect(scripts.length).toBeGreaterThan(0);
  });

  for (const file of scripts) {
    it(relative(root, file), () => {
      const { blocks, trailer } = parseScript(readFileSync(file, 'utf8'));
      const env = new ScenarioEnv();
      if (process.env['REWRITE']) {
        const out: string[] = [];
        for (const b of blocks) out.push(...b.preamble, b.command, '----', ...runBlock(env, b.command), '');
        out.push(...trailer);
        while (out.length > 0 && out[out.length - 1] === '') out.pop();
        writeFileSync(file, `${out.join('\n')}\n`);
        return;
      }
      for (const b of blocks) {
        expect(runBlock(env, b.command).join('\n'), `${relative(root, file)}:${b.line}: ${b.command}`).toBe(b.expected.join('\n'));
      }
    });
  }
});
