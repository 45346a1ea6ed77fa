// The injector role's flags (CONTRACT.md "Control plane"), parsed here so that controller/options.ts only has to
// ask for them.
import { ADDRESS_FORM, HostPort, parseHostPort } from '../../common/address';
import { CONTROL_PLANE_NAMESPACE, CONTROLLER_INJECTOR_ADDR, INJECTOR_TLS_FILES, MESH_CONFIG_MAP } from '../../common/contract';
import { UsageError } from '../../common/errors';

export interface InjectorOptions {
  addr: HostPort;
  /** tls.crt + tls.key: the injector's serving certificate (a mounted kubernetes.io/tls Secret). */
  tlsDir: string;
  /** Where the ConfigMap weft-config lives. */
  controlPlaneNamespace: string;
}

export const INJECTOR_FLAGS = {
  'injector-addr': { type: 'string' },
  'injector-tls-dir': { type: 'string' },
  'control-plane-namespace': { type: 'string' },
} as const;

export const INJECTOR_USAGE = `  --injector-addr ADDR       injector HTTPS listen address (default ${CONTROLLER_INJECTOR_ADDR})
  --injector-tls-dir DIR     ${INJECTOR_TLS_FILES.cert} + ${INJECTOR_TLS_FILES.key}: the injector's serving certificate; re-read on change
  --control-plane-namespace NS  where the ConfigMap ${MESH_CONFIG_MAP} is read from (default ${CONTROL_PLANE_NAMESPACE})
`;

type InjectorFlagValues = { [K in keyof typeof INJECTOR_FLAGS]?: string };

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The injector options, or undefined when no --injector-tls-dir was given (then `all` runs without the injector). */
export function parseInjectorOptions(values: InjectorFlagValues): InjectorOptions | undefined {
  if (values['injector-tls-dir'] === undefined) {
    const stray = (['injector-addr', 'control-plane-namespace'] as const).find((flag) => values[flag] !== undefined);
    if (stray) throw new UsageError(`--${stray} belongs to the injector role, which also needs --injector-tls-dir DIR`);
    return undefined;
  }
  const addrText = values['injector-addr'] ?? CONTROLLER_INJECTOR_ADDR;
  const addr = parseHostPort(addrText);
  if (!addr) throw new UsageError(`--injector-addr ${JSON.stringify(addrText)} is not valid: expected ${ADDRESS_FORM}`);
  const controlPlaneNamespace = values['control-plane-namespace'] ?? CONTROL_PLANE_NAMESPACE;
  if (!DNS_LABEL.test(controlPlaneNamespace)) {
    throw new UsageError(`--control-plane-namespace ${JSON.stringify(controlPlaneNamespace)} is not a namespace name`);
  }
  return { addr, tlsDir: values['injector-tls-dir'], controlPlaneNamespace };
}
