// Writes deploy/grafana/*.json from cli/install/grafana.ts: `npx tsx scripts/grafana-dashboards.ts`.
// test/unit/cli/install/grafana.test.ts fails when the files and the code disagree.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dashboardJson, grafanaDashboards } from '../cli/install/grafana';

const dir = path.join(__dirname, '..', 'deploy', 'grafana');
fs.mkdirSync(dir, { recursive: true });
for (const [file, dashboard] of Object.entries(grafanaDashboards())) {
  fs.writeFileSync(path.join(dir, file), dashboardJson(dashboard));
  process.stdout.write(`wrote deploy/grafana/${file}\n`);
}
