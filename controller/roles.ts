// The controller's roles, each started from one function. A role gets the shared pieces (the cluster facts,
// the metrics registry, the logger) and returns the addresses it listens on and how to stop it.
//
// Plugging in a role: add its name to ROLE_NAMES, its start function to ROLES, and its flags to options.ts
// (as identity/options.ts does); `all` then runs it too.
import type { Registry } from 'prom-client';
import type { HostPort } from '../common/address';
import type { Logger } from '../common/log';
import type { ClusterSource } from './cluster/types';
import { startDestinationRole } from './destination/role';
import { startIdentityRole } from './identity/role';
import { startInjectorRole } from './injector/role';
import { startTapRole } from './tap/role';
import type { ControllerOptions } from './options';

export const ROLE_NAMES = ['destination', 'identity', 'injector', 'tap'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface RoleContext {
  options: ControllerOptions;
  log: Logger;
  registry: Registry;
  /** The cluster facts, started once and shared by every role; resolves when they are complete. */
  clusterSource(): Promise<ClusterSource>;
  /** Where this process's own identity role listens, once it does (it starts before the other roles). */
  localIdentity?: HostPort;
  /** While the controller is not ready yet, `reason` says what a role still waits for (undefined: nothing). */
  waitingFor(reason: () => string | undefined): void;
}

export interface RunningRole {
  /** What it listens on, for the "controller ready" line: { destination: '127.0.0.1:8086' }. */
  addresses: Record<string, string>;
  /** Where its clients in this process reach it (the identity role's, for the other roles' Certify). */
  local?: HostPort;
  close(): Promise<void>;
}

export const ROLES: Record<RoleName, (context: RoleContext) => Promise<RunningRole>> = {
  destination: startDestinationRole,
  identity: startIdentityRole,
  injector: startInjectorRole,
  tap: startTapRole,
};
