// `weft identity POD`: the identity a pod's proxy proves itself with, from its admin port's GET /identity:
// the name, the certificate chain it presents, when it expires, and the trust anchors it verifies peers with.
import { Command } from 'commander';
import { httpGet } from '../../common/views/http-target';
import type { IdentityDocument } from '../../proxy/identity/admin-route';
import { IDENTITY_ROUTE } from '../../proxy/identity/admin-route';
import { CERTIFICATE_COLUMNS, certificateRows } from '../certificate-table';
import { formatTable, OutputFormat, outputOption, render } from '../output';
import { AdminOptions, addAdminOptions, proxyAdminTarget } from '../views/proxy-admin';

export function registerIdentity(program: Command): void {
  addAdminOptions(
    program
      .command('identity')
      .description("a pod's proxy identity: its name, certificate chain and expiry (public material only)")
      .argument('<pod>', 'the pod (in weft demo, also its deployment)')
      .addOption(outputOption()),
  ).action(async (pod: string, opts: AdminOptions & { output: OutputFormat }) => {
    const target = await proxyAdminTarget(pod, opts);
    const answer = await httpGet(target, IDENTITY_ROUTE);
    if (answer.status !== 200) throw new Error(`${target.label} has no identity to show (${answer.status}): ${answer.body.trim()}`);
    const doc = JSON.parse(answer.body) as IdentityDocument;
    if (opts.output !== 'table') return void process.stdout.write(render(doc, opts.output, [], () => []));
    const chain = formatTable(CERTIFICATE_COLUMNS, certificateRows(doc.certificates));
    const anchors = formatTable(CERTIFICATE_COLUMNS, certificateRows(doc.trustAnchors));
    process.stdout.write(`identity  ${doc.name}\nexpires   ${doc.notAfter}\n\nchain (leaf first)\n${chain}\ntrust anchors\n${anchors}`);
  });
}
