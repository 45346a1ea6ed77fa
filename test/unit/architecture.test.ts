// Keeps the dependency direction of DESIGN.md true:
// common ← certs ← proxy, controller, injector ← cli, dashboard; nothing imports test/ or bench/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';

const ROOT = path.resolve(__dirname, '../..');

const MAY_IMPORT: Record<string, readonly string[]> = {
  common: ['common'],
  certs: ['common', 'certs'],
  proxy: ['common', 'certs', 'proxy'],
  injector: ['common', 'certs', 'injector'],
  controller: ['common', 'certs', 'injector', 'controller'],
  cli: ['common', 'certs', 'proxy', 'injector', 'controller', 'cli', 'dashboard'],
  dashboard: ['common', 'certs', 'proxy', 'injector', 'controller', 'dashboard'],
  bench: ['common', 'certs', 'proxy', 'injector', 'controller', 'cli', 'dashboard', 'bench'],
  // test/unit/bench/ tests the bench's own arithmetic (ratios, noise wording); nothing else under test/ uses it.
  test: ['common', 'certs', 'proxy', 'injector', 'controller', 'cli', 'dashboard', 'bench', 'test'],
};
/**
 * Narrow exceptions, each a path prefix: the controller's own roles get and renew their serving certificates
 * with the proxy's workload identity client (key, CSR, Certify, renewal), so that there is one of it.
 */
const MAY_ALSO_IMPORT: Record<string, readonly string[]> = {
  controller: ['proxy/identity/'],
};
/** Files at the repository root that any layer may read (the version number). */
const SHARED_ROOT_FILES = new Set(['package.json']);

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(full);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) ? [full] : [];
  });
}

export function relativeImports(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]*)['"]/gm;
  for (const m of source.matchAll(pattern)) specifiers.push(m[1]);
  return specifiers;
}

function layerOf(file: string): string | undefined {
  const rel = path.relative(ROOT, file);
  if (rel.startsWith('..')) return undefined;
  const top = rel.split(path.sep)[0];
  return SHARED_ROOT_FILES.has(top) ? 'root' : top;
}

t.test('the import pattern sees every form of relative import', async (t) => {
  const sample = `import a from '../common/a';\nimport '../x';\nconst b = require("../b");\nexport { c } from './c';\nawait import('../d');`;
  t.same(relativeImports(sample), ['../common/a', '../x', '../b', './c', '../d']);
});

for (const [layer, allowed] of Object.entries(MAY_IMPORT)) {
  t.test(`${layer}/ imports only ${allowed.join(', ')}`, async (t) => {
    const violations: string[] = [];
    for (const file of sourceFiles(path.join(ROOT, layer))) {
      for (const spec of relativeImports(fs.readFileSync(file, 'utf8'))) {
        const resolved = path.resolve(path.dirname(file), spec);
        const target = layerOf(resolved);
        if (target === 'root' || (target !== undefined && allowed.includes(target))) continue;
        const rel = path.relative(ROOT, resolved);
        if ((MAY_ALSO_IMPORT[layer] ?? []).some((prefix) => rel.startsWith(prefix))) continue;
        violations.push(`${path.relative(ROOT, file)} imports ${spec} (${target ?? 'outside the repository'})`);
      }
    }
    t.same(violations, [], 'no imports against the dependency direction');
  });
}
