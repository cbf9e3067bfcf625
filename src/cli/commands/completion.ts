/**
 * `cairn completion bash|zsh`: a completion script for the shell, built from the command
 * registry so it never lists a command or flag cairn does not have. `source <(cairn completion
 * bash)`; zsh runs the same function through bashcompinit (as many CLIs ship it).
 */
import type { FlagSpec } from '../flags.js';
import { GLOBAL_FLAGS } from './context.js';
import { COMMANDS, GROUPS } from './registry.js';

/** Commands main.ts handles itself, beside the client commands. */
const PROCESS_COMMANDS = ['serve', 'repair', 'version', 'help', 'completion'];

const words = (specs: readonly FlagSpec[]) => specs.map((f) => `--${f.name}`).join(' ');
/** Single-quoted for the shell: the words are cairn's own names, but quote them all the same. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bashScript(serveFlags: readonly FlagSpec[]): string {
  const top = [...new Set([...PROCESS_COMMANDS, ...[...COMMANDS.keys()].map((n) => n.split(' ')[0] as string)])].sort();
  const groupCases = [...GROUPS].sort().map((g) => {
    const subs = [...COMMANDS.keys()].filter((n) => n.startsWith(`${g} `)).map((n) => n.slice(g.length + 1));
    return `    ${g}) subs=${quote(subs.join(' '))} ;;`;
  });
  const flagCases = [...COMMANDS.values()].map((c) => `    ${quote(c.name)}) flags=${quote(words(c.flags))} ;;`);
  return `# bash completion for cairn: source <(cairn completion bash)
_cairn_completion() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" first="" second="" i w subs="" flags=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    if [[ -z "$first" ]]; then first="$w"; elif [[ -z "$second" ]]; then second="$w"; fi
  done
  if [[ -z "$first" && "$cur" != -* ]]; then
    COMPREPLY=($(compgen -W ${quote(top.join(' '))} -- "$cur"))
    return
  fi
  case "$first" in
${groupCases.join('\n')}
    completion) subs='bash zsh' ;;
    help) subs=${quote(top.join(' '))} ;;
  esac
  if [[ -n "$subs" && -z "$second" && "$cur" != -* ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    return
  fi
  case "$first" in
    serve) flags=${quote(words(serveFlags))} ;;
    repair) flags='--data-dir' ;;
    *)
      [[ -n "$subs" ]] && first="$first $second"
      case "$first" in
${flagCases.map((l) => `    ${l}`).join('\n')}
      esac
      flags="$flags "${quote(words(GLOBAL_FLAGS))}
      ;;
  esac
  COMPREPLY=($(compgen -W "$flags" -- "$cur"))
}
complete -F _cairn_completion cairn
`;
}

/** The script for `shell`, or undefined for a shell cairn has no script for. */
export function completionScript(shell: string, serveFlags: readonly FlagSpec[]): string | undefined {
  switch (shell) {
    case 'bash':
      return bashScript(serveFlags);
    case 'zsh':
      return `#compdef cairn\n# zsh completion for cairn: source <(cairn completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(serveFlags)}`;
    default:
      return undefined;
  }
}
