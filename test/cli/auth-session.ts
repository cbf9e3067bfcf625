/**
 * One etcdctl 3.4 auth session: create users and roles, enable auth, use it, take it apart.
 * The expected output and exit codes are etcdctl 3.4.23's against etcd 3.4.23 (recorded; the
 * tests that use this re-check them against the real thing where installed).
 */
/** argv, stdin, expected stdout, expected exit code. */
export const SESSION: readonly (readonly [string[], string, string, number])[] = [
  [['user', 'add', 'root:rootpw'], '', 'User root created\n', 0],
  [['user', 'add', 'alice', '--interactive=false'], 'alicepw\n', 'User alice created\n', 0],
  [['role', 'add', 'r1'], '', 'Role r1 created\n', 0],
  [['role', 'grant-permission', 'r1', 'readwrite', '--prefix', 'a/'], '', 'Role r1 updated\n', 0],
  [['role', 'grant-permission', 'r1', 'read', 'foo'], '', 'Role r1 updated\n', 0],
  [['role', 'grant-permission', 'r1', 'write', 'k1', 'k5'], '', 'Role r1 updated\n', 0],
  [['role', 'grant-permission', 'r1', 'read', '--from-key', 'z'], '', 'Role r1 updated\n', 0],
  [['user', 'grant-role', 'alice', 'r1'], '', 'Role r1 is granted to user alice\n', 0],
  [['role', 'get', 'r1'], '', 'Role r1\nKV Read:\n\t[a/, a0) (prefix a/)\n\tfoo\n\t[z, <open ended>\nKV Write:\n\t[a/, a0) (prefix a/)\n\t[k1, k5)\n', 0],
  [['user', 'get', 'alice'], '', 'User: alice\nRoles: r1\n', 0],
  [['role', 'list'], '', 'r1\n', 0],
  [['auth', 'enable'], '', 'Authentication Enabled\n', 0],
  [['put', 'a/1', 'x'], '', '', 1],
  [['--user', 'root:rootpw', 'put', 'a/1', 'x'], '', 'OK\n', 0],
  [['--user', 'alice:alicepw', 'get', 'a/1'], '', 'a/1\nx\n', 0],
  [['--user', 'alice', '--password', 'alicepw', 'put', 'foo', 'y'], '', '', 1],
  [['--user', 'alice:alicepw', 'user', 'list'], '', '', 1],
  [['--user', 'root:rootpw', 'user', 'list'], '', 'alice\nroot\n', 0],
  [['--user', 'root:rootpw', 'user', 'get', 'root'], '', 'User: root\nRoles: root\n', 0],
  [['--user', 'root:rootpw', 'user', 'passwd', 'alice', '--interactive=false'], 'newpw\n', 'Password updated\n', 0],
  [['--user', 'alice:alicepw', 'get', 'a/1'], '', '', 2], // the login fails: etcdctl's ExitBadConnection
  [['--user', 'alice:newpw', 'get', 'a/1'], '', 'a/1\nx\n', 0],
  [['--user', 'root:rootpw', 'role', 'revoke-permission', 'r1', '--prefix', 'a/'], '', 'Permission of range [a/, a0) is revoked from role r1\n', 0],
  [['--user', 'root:rootpw', 'role', 'revoke-permission', 'r1', 'foo'], '', 'Permission of key foo is revoked from role r1\n', 0],
  [['--user', 'root:rootpw', 'role', 'revoke-permission', 'r1', 'k1', 'k5'], '', 'Permission of range [k1, k5) is revoked from role r1\n', 0],
  [['--user', 'root:rootpw', 'user', 'revoke-role', 'alice', 'r1'], '', 'Role r1 is revoked from user alice\n', 0],
  [['--user', 'root:rootpw', 'user', 'delete', 'alice'], '', 'User alice deleted\n', 0],
  [['--user', 'root:rootpw', 'role', 'delete', 'r1'], '', 'Role r1 deleted\n', 0],
  [['--user', 'root:rootpw', 'auth', 'disable'], '', 'Authentication Disabled\n', 0],
  [['get', 'a/1'], '', 'a/1\nx\n', 0],
];
