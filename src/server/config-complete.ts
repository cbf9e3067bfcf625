/**
 * A partial MemberConfig completed as `cairn serve` completes its flags (etcd's defaults):
 * every field left out takes its default, and a new member without `initialCluster` is alone
 * in a cluster of its own advertised peer URLs — so `startNode({ initialAdvertisePeerUrls })`
 * works as `cairn serve --initial-advertise-peer-urls` does.
 */
import { defaultConfig, validateConfig, type MemberConfig } from './config.js';

/** etcd's default `--initial-cluster`: `<name>=<initial-advertise-peer-urls>`. */
export const soleMemberCluster = (name: string, peerUrls: readonly string[]): Map<string, string[]> => new Map([[name, [...peerUrls]]]);

export function completeConfig(partial: Partial<MemberConfig>): MemberConfig {
  // Keys given as undefined mean "not given", as an absent flag does.
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<MemberConfig>;
  const name = given.name ?? 'default';
  const d = defaultConfig(name);
  const peerUrls = given.initialAdvertisePeerUrls ?? d.initialAdvertisePeerUrls;
  return validateConfig({ ...d, ...given, name, initialAdvertisePeerUrls: peerUrls, initialCluster: given.initialCluster ?? soleMemberCluster(name, peerUrls) });
}
