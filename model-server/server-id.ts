import os from 'node:os';

/**
 * The id a model server reports when MODEL_SERVER_ID is unset: `<host name>-<port>` (lowercase,
 * other characters as dashes), or `<host name>-pid<pid>` on a kernel-assigned port. Two servers
 * left on defaults differ in host or in port, so they never share a document in the registry.
 * Example: defaultServerId('Build-Box.local', 8081) === 'build-box-local-8081'.
 */
export function defaultServerId(hostname: string = os.hostname(), port: number, pid: number = process.pid): string {
  const host = hostname.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'host';
  return `${host}-${port > 0 ? port : `pid${pid}`}`;
}
