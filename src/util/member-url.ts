/**
 * What a member URL (client or peer, from a flag or from `member add`/`member update`) may look
 * like: etcd's `types.NewURLs` — http or https, an explicit `host:port`, no path. cairn is
 * stricter in also refusing a query, a fragment and user info, which etcd keeps in the URL but
 * which mean nothing to a peer connection and would only make two spellings of one member. One
 * rule for the flags and the API, so the cluster never holds a URL its members could not start with.
 */

/** Why `raw` is not a usable member URL, as a phrase to follow the quoted URL; undefined when it is. */
export function memberUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http:// or https://';
  if (url.hostname === '') return 'needs a host';
  if (url.port === '') return 'needs an explicit port';
  if (url.pathname !== '/' && url.pathname !== '') return 'must not have a path';
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) return 'must not have a query or fragment';
  if (url.username !== '' || url.password !== '') return 'must not have user info';
  return undefined;
}
