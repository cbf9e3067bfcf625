/**
 * One version story, told the same by `cairn version`, `/version`, `endpoint status` and the
 * `etcd_server_version` metric: cairn's own version, and the etcd API it speaks — the etcd
 * release its compatibility tests run against (test/compat, etcdctl 3.4.23).
 */
export const CAIRN_VERSION = '0.1.0';

/** The etcd API version (etcdctl prints "API version: 3.4"). */
export const ETCD_API_VERSION = '3.4';

/** The etcd release cairn's behaviour is compared with. */
export const ETCD_TESTED_VERSION = '3.4.23';

/**
 * What cairn answers where etcd reports its server version: the etcd version clients compare
 * against, with cairn's version as semver build metadata (ignored when versions are compared).
 */
export const SERVER_VERSION = `${ETCD_TESTED_VERSION}+cairn.${CAIRN_VERSION}`;

/** etcd's cluster version is the major.minor of its members, with patch 0. */
export const CLUSTER_VERSION = `${ETCD_API_VERSION}.0`;

/** `cairn version`: etcdctl's two lines, then the server version the other surfaces report. */
export const VERSION_TEXT = `cairn version: ${CAIRN_VERSION}\nAPI version: ${ETCD_API_VERSION}\nserver version: ${SERVER_VERSION} (etcd ${ETCD_TESTED_VERSION}'s API, as /version and endpoint status report it)`;
