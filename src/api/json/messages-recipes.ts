/** Descriptors of etcd's v3lock and v3election messages (proto/v3lock.proto, proto/v3election.proto). */
import type {
  CampaignRequest,
  CampaignResponse,
  LeaderKey,
  LeaderRequest,
  LeaderResponse,
  LockRequest,
  LockResponse,
  ProclaimRequest,
  RecipeHeaderResponse,
  ResignRequest,
  UnlockRequest,
} from '../recipe-types.js';
import { field, message } from './descriptor.js';
import { KeyValueDesc, must, ResponseHeaderDesc } from './messages-kv.js';

const header = () => ResponseHeaderDesc;

export const LockRequestDesc = message<LockRequest>('v3lockpb.LockRequest', [must(1, 'name', 'bytes'), must(2, 'lease', 'int64', { id: true })]);

export const LockResponseDesc = message<LockResponse>('v3lockpb.LockResponse', [must(1, 'header', header), must(2, 'key', 'bytes')]);

export const UnlockRequestDesc = message<UnlockRequest>('v3lockpb.UnlockRequest', [must(1, 'key', 'bytes')]);

export const LeaderKeyDesc = message<LeaderKey>('v3electionpb.LeaderKey', [
  must(1, 'name', 'bytes'),
  must(2, 'key', 'bytes'),
  must(3, 'rev', 'int64'),
  must(4, 'lease', 'int64', { id: true }),
]);
const leaderKey = () => LeaderKeyDesc;

export const CampaignRequestDesc = message<CampaignRequest>('v3electionpb.CampaignRequest', [
  must(1, 'name', 'bytes'),
  must(2, 'lease', 'int64', { id: true }),
  must(3, 'value', 'bytes'),
]);

export const CampaignResponseDesc = message<CampaignResponse>('v3electionpb.CampaignResponse', [must(1, 'header', header), must(2, 'leader', leaderKey)]);

export const ProclaimRequestDesc = message<ProclaimRequest>('v3electionpb.ProclaimRequest', [field(1, 'leader', leaderKey), must(2, 'value', 'bytes')]);

export const LeaderRequestDesc = message<LeaderRequest>('v3electionpb.LeaderRequest', [must(1, 'name', 'bytes')]);

export const LeaderResponseDesc = message<LeaderResponse>('v3electionpb.LeaderResponse', [must(1, 'header', header), must(2, 'kv', () => KeyValueDesc)]);

export const ResignRequestDesc = message<ResignRequest>('v3electionpb.ResignRequest', [field(1, 'leader', leaderKey)]);

/** UnlockResponse, ProclaimResponse, ResignResponse: a header only. */
export const headerOnlyDesc = (goName: string) => message<RecipeHeaderResponse>(goName, [must(1, 'header', header)]);
