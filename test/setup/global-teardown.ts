/** Stops what test/setup/global-setup.ts started and removes its folder
 * (kept when HOTSWAP_KEEP_TEST_DATA=1, e.g. to read the service logs). */
import fs from 'node:fs';
import { takeTestServices } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const services = takeTestServices();
  if (!services) return;
  await Promise.all(services.processes.map((p) => p.stop()));
  if (process.env.HOTSWAP_KEEP_TEST_DATA !== '1') fs.rmSync(services.dir, { recursive: true, force: true });
}
