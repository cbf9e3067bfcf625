/** The server version cairn reports (`/version`, status, etcd_server_version). */
export const CAIRN_VERSION = '0.1.0';
