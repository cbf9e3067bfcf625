/** etcd's auth gauge, read from the auth store when scraped (etcd `auth/metrics.go`). */
import { Gauge, type Registry } from 'prom-client';
import type { AuthStore } from './auth-store.js';

export function registerAuthMetrics(registry: Registry, store: AuthStore): void {
  // A registry handed to a restarted member already has it: the new store replaces the old.
  registry.removeSingleMetric('etcd_debugging_auth_revision');
  new Gauge({
    name: 'etcd_debugging_auth_revision',
    help: 'The current revision of auth store.',
    registers: [registry],
    collect() {
      this.set(store.revision);
    },
  });
}
