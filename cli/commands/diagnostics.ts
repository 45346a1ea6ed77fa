// `weft diagnostics proxy-metrics POD` (a proxy's /metrics as it serves them) and `weft diagnostics endpoints
// AUTHORITY` (what the destination service tells proxies about an authority: its first answer on a Get stream).
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { parseHostPort } from '../../common/address';
import type { Update } from '../../common/destination-api';
import { UsageError } from '../../common/errors';
import { parseMetrics } from '../../common/views/exposition';
import { httpGet } from '../../common/views/http-target';
import { OutputFormat, outputOption, render } from '../output';
import { currentContext } from '../views/connect';
import { AdminOptions, addAdminOptions, proxyAdminTarget } from '../views/proxy-admin';

interface EndpointsOptions {
  destinationAddr?: string;
  destinationName?: string;
  trustAnchors?: string;
  contextToken?: string;
  output: OutputFormat;
}

export function registerDiagnostics(program: Command): void {
  const diagnostics = program.command('diagnostics').description("what the proxies and the control plane see: a proxy's raw metrics, discovery's answers");
  addAdminOptions(
    diagnostics
      .command('proxy-metrics')
      .description("a pod's proxy metrics, as its admin port serves them (table: the Prometheus text itself)")
      .argument('<pod>', 'the pod (in weft demo, also its deployment)')
      .addOption(outputOption()),
  ).action(async (pod: string, opts: AdminOptions & { output: OutputFormat }) => {
    const target = await proxyAdminTarget(pod, opts);
    const answer = await httpGet(target, '/metrics');
    if (answer.status !== 200) throw new Error(`${target.label} answered ${answer.status} for /metrics: ${answer.body.trim().slice(0, 200)}`);
    process.stdout.write(opts.output === 'table' ? answer.body : render(parseMetrics(answer.body), opts.output, [], () => []));
  });
  diagnostics
    .command('endpoints')
    .description('the endpoints the destination service gives proxies for an authority, each with its state')
    .argument('<authority>', 'host:port as an app calls it, e.g. web.demo.svc.cluster.local:8080')
    .addOption(new Option('--destination-addr <addr>', "the destination service, host:port (default: weft demo's)"))
    .addOption(new Option('--destination-name <name>', 'the identity name its certificate must carry'))
    .addOption(new Option('--trust-anchors <file>', 'PEM trust anchors to verify it against'))
    .addOption(new Option('--context-token <json>', 'who is asking, as proxies say it: {"ns":"<namespace>"}'))
    .addOption(outputOption())
    .action(async (authority: string, opts: EndpointsOptions) => {
      if (!parseHostPort(authority)) throw new UsageError(`${JSON.stringify(authority)} is not an authority: expected host:port, e.g. web.demo.svc.cluster.local:8080`);
      const context = await currentContext();
      const addr = opts.destinationAddr ?? context?.destination?.addr;
      const name = opts.destinationName ?? context?.destination?.serverName;
      const anchorsFile = opts.trustAnchors ?? context?.destination?.trustAnchorsFile;
      if (!addr || !name || !anchorsFile) throw new UsageError('no destination service to ask: start `weft demo`, or pass --destination-addr, --destination-name and --trust-anchors');
      // gRPC and the protos load only for this subcommand: every other `weft` starts without them.
      const { firstAnswer } = require('../views/destination-answer') as typeof import('../views/destination-answer');
      const update = await firstAnswer(addr, { name, trustAnchorsPem: readFileSync(anchorsFile, 'utf8') }, { path: authority, contextToken: opts.contextToken ?? context?.destination?.contextToken ?? '' });
      process.stdout.write(renderEndpoints(authority, update, opts.output));
    });
}

function renderEndpoints(authority: string, update: Update, format: OutputFormat): string {
  if (update.add) {
    const endpoints = update.add.addrs.map((a) => ({
      namespace: a.metricLabels.namespace ?? '',
      ip: a.addr.ip,
      port: a.addr.port,
      pod: a.metricLabels.pod ?? '',
      service: a.metricLabels.service ?? '',
      identity: a.identity,
      protocol: a.protocolHint,
      opaquePorts: a.opaquePorts,
      // Discovery sends only endpoints that take traffic; a meshed one is reached over mTLS.
      state: a.identity ? 'ready, meshed (mTLS)' : 'ready, not meshed',
    }));
    const header = ['NAMESPACE', 'IP', 'PORT', 'POD', 'SERVICE', 'IDENTITY', 'PROTOCOL', 'STATE'];
    return render({ authority, endpoints }, format, header, () => endpoints.map((e) => [e.namespace, e.ip, String(e.port), e.pod, e.service, e.identity, e.protocol, e.state]));
  }
  const said = update.noEndpoints
    ? `no endpoints: ${update.noEndpoints.exists ? 'the service exists but has no ready endpoints now' : 'no such service is known'}`
    : `not in the cluster: connect to ${update.notInCluster?.host}:${update.notInCluster?.port} directly`;
  return format === 'table' ? `${authority}: ${said}\n` : render({ authority, endpoints: [], answer: said }, format, [], () => []);
}
