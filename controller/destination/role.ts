// The destination role: once the cluster facts are complete, serve them. Listening only then matters: a
// controller that answered before its first full list would tell proxies that live services are unknown.
import { formatHostPort } from '../../common/address';
import type { RoleContext, RunningRole } from '../roles';
import { startDestinationServer } from './server';

export async function startDestinationRole(context: RoleContext): Promise<RunningRole> {
  const source = await context.clusterSource();
  const { host } = context.options.destinationAddr;
  const server = await startDestinationServer({
    address: formatHostPort(context.options.destinationAddr),
    source,
    log: context.log.child({ role: 'destination' }),
    registry: context.registry,
  });
  return { addresses: { destination: formatHostPort({ host, port: server.port }) }, close: () => server.close() };
}
