// Power of two choices: of two endpoints drawn at random among those available, take the cheaper. It gets
// close to "least loaded" without the herd that always choosing the single cheapest endpoint causes.
import type { EndpointLoad } from './endpoint-load';

export type Random = () => number;

/**
 * The chosen endpoint, or undefined when none is available. `avoid` (the endpoint a retry just failed on) is
 * left out unless it is the only one available. Draws by rank among available endpoints, allocating nothing.
 */
export function pickP2C(loads: readonly EndpointLoad[], random: Random, avoid?: EndpointLoad): EndpointLoad | undefined {
  let available = 0;
  let avoidAvailable = false;
  for (const load of loads) {
    if (!load.accrual.available()) continue;
    if (load === avoid) avoidAvailable = true;
    else available++;
  }
  if (available === 0) return avoidAvailable ? avoid : undefined;
  if (available === 1) return nthAvailable(loads, 0, avoid);
  const a = Math.floor(random() * available);
  let b = Math.floor(random() * (available - 1));
  if (b >= a) b++;
  const first = nthAvailable(loads, a, avoid)!;
  const second = nthAvailable(loads, b, avoid)!;
  return second.cost() < first.cost() ? second : first;
}

function nthAvailable(loads: readonly EndpointLoad[], n: number, avoid: EndpointLoad | undefined): EndpointLoad | undefined {
  for (const load of loads) {
    if (load === avoid || !load.accrual.available()) continue;
    if (n-- === 0) return load;
  }
  return undefined;
}
