/**
 * `cairn help [command]` and `cairn completion bash|zsh`: the completion script, sourced in a
 * real bash, completes commands, a group's subcommands and a command's flags.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { completionScript } from '../../src/cli/commands/completion.js';
import { SERVE_FLAGS } from '../../src/cli/serve-flags.js';

const MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');
const cairn = (...argv: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...argv], { encoding: 'utf8' });

/** What bash completes for the words typed so far (the last one is being completed). */
function complete(words: string[]): string[] {
  const script = completionScript('bash', SERVE_FLAGS) as string;
  const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _cairn_completion; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', program], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
}

describe('completion', () => {
  it('completes commands, subcommands and flags in bash', () => {
    expect(complete(['cairn', 'le'])).toEqual(['lease']);
    expect(complete(['cairn', 'lease', ''])).toEqual(['grant', 'revoke', 'timetolive', 'list', 'keep-alive']);
    expect(complete(['cairn', 'get', '--pr'])).toEqual(['--prefix', '--print-value-only']);
    expect(complete(['cairn', 'lease', 'grant', '--end'])).toEqual(['--endpoints']);
    expect(complete(['cairn', 'serve', '--initial-cluster-s'])).toEqual(['--initial-cluster-state']);
    expect(complete(['cairn', 'completion', ''])).toEqual(['bash', 'zsh']);
  });

  it('zsh gets the same function through bashcompinit; other shells are refused', () => {
    expect(completionScript('zsh', SERVE_FLAGS)).toMatch(/^#compdef cairn\n[\s\S]*bashcompinit[\s\S]*complete -F _cairn_completion cairn/);
    expect(completionScript('fish', SERVE_FLAGS)).toBeUndefined();
  });
});

describe('cairn help and unknown commands (the binary)', () => {
  it('help <command> prints its help and exits 0; an unknown command exits 1 as etcdctl', () => {
    const get = cairn('help', 'get');
    expect(get.status).toBe(0);
    expect(get.stdout).toMatch(/^NAME:\n {2}get - /);
    const group = cairn('help', 'member');
    expect(group.status).toBe(0);
    expect(group.stdout).toMatch(/^ {2}promote /m);
    const bogus = cairn('bogus');
    expect(bogus.status).toBe(1);
    expect(bogus.stderr).toContain('unknown command "bogus" for "cairn"');
    const completion = cairn('completion', 'bash');
    expect(completion.status).toBe(0);
    expect(completion.stdout).toContain('complete -F _cairn_completion cairn');
  }, 30_000);
});
