/** The versions cairn reports (`/version`, status, etcd_server_version): see util/version.ts. */
export { CAIRN_VERSION, CLUSTER_VERSION, SERVER_VERSION } from '../util/version.js';
