/**
 * `cairn repair --data-dir DIR`: the offline repair of a member's WAL (etcd's `wal.Repair`). It
 * drops a bad tail only above the commit index — entries a torn, unsynced write left behind —
 * and refuses anything else. Run it only on a stopped member, after reading the start-up error.
 */
import { repairWal } from '../storage/data-dir.js';
import { FlagError, parseFlags } from './flags.js';

export async function repair(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<string> {
  const { values, positionals } = parseFlags([{ name: 'data-dir', kind: 'string', help: 'the member data directory to repair' }], argv, env, 'CAIRN');
  const dir = values.get('data-dir') as string | undefined;
  if (dir === undefined || positionals.length > 0) throw new FlagError('usage: cairn repair --data-dir <dir>');
  const result = await repairWal(dir);
  return result.dropped === 0
    ? `${dir}: the WAL is intact through index ${result.lastIndex}; nothing dropped`
    : `${dir}: dropped ${result.dropped} unacknowledged entr${result.dropped === 1 ? 'y' : 'ies'} from the torn tail; the WAL now ends at index ${result.lastIndex}`;
}
