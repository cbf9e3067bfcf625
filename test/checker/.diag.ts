import { SeededRng } from '../../src/util/rng.js';
import { checkKvHistory } from './check-kv.js';
import { generateKvHistory } from './generate.js';
const h = generateKvHistory(new SeededRng(1), { ops: 3000, keys: 1, clients: 20, unknownRate: 0.05, phantomRate: 0, failedRate: 0.02 });
const r = checkKvHistory(h, { maxMillis: 3000 });
console.log(r.result, r.linearizability.partitions[0]?.steps);
