import { Client, Connection } from '@temporalio/client';

/**
 * A lazily (re)connecting Temporal client: the api must start and report Temporal as down in
 * /health when the server is unreachable, then recover without a restart.
 */
export class TemporalGateway {
  private connecting?: Promise<Client>;
  private client?: Client;

  constructor(private readonly address: string, readonly namespace: string) {}

  async getClient(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= Connection.connect({ address: this.address, connectTimeout: 3000 })
      .then((connection) => (this.client = new Client({ connection, namespace: this.namespace })))
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async ping(): Promise<void> {
    const client = await this.getClient();
    await client.connection.workflowService.getSystemInfo({});
  }

  async close(): Promise<void> {
    await this.client?.connection.close();
    this.client = undefined;
  }
}
