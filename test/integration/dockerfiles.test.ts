// Both images, checked even without a container engine. First the Dockerfiles are read and linted: pinned Node
// base, multi-stage, non-root USER, COPY only, no secrets, the final stage copying only dist/, production
// node_modules, the package files, proto/ and the launchers. Then each final stage is assembled here the way
// its Dockerfile says (the compiled dist/, built into a temp dir so the repository's dist/ is left alone, and
// the deps stage's own `npm ci --omit=dev`), outside the repository so no dev dependency is within reach, and
// every program answers --help from it. Where a container engine with the base image exists, the images are
// built and run too; otherwise that test says why it skipped.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { PROXY_UID } from '../../common/contract';
import { REPO_ROOT } from '../../common/entrypoint';
import { Copy, execForm, instructionsOf, parseCopy, parseDockerfile, runCommands, Stage } from '../fixtures/dockerfile';

/** The images run the Node the tests run on. */
const NODE_BASE = `node:${process.versions.node}-bookworm-slim`;
const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;
const SECRET_FILE = /(^|\/)(\.npmrc|\.env|[^/]*\.key|[^/]*\.pem|id_[a-z0-9]+)$/;

interface Image {
  file: string;
  /** The programs on its PATH, each a launcher in image/bin/. */
  launchers: string[];
  entrypoint: string;
  /** Why `uid` is wrong for this image, or undefined when it is right. */
  wrongUser(uid: number): string | undefined;
}

const IMAGES: Image[] = [
  {
    file: 'Dockerfile.proxy',
    launchers: ['weft-proxy', 'weft-proxy-init'],
    entrypoint: 'weft-proxy',
    wrongUser: (uid) => (uid === PROXY_UID ? undefined : `the proxy runs as ${PROXY_UID}, which iptables exempts`),
  },
  {
    file: 'Dockerfile.controller',
    launchers: ['weft-controller'],
    entrypoint: 'weft-controller',
    wrongUser: (uid) => (uid === 0 ? 'root' : uid === PROXY_UID ? `${PROXY_UID} is the proxy's UID` : undefined),
  },
];

/** What each program prints first for --help. */
const HELP: Record<string, RegExp> = {
  'weft-proxy': /^weft-proxy: the weft data-plane proxy/,
  'weft-proxy-init': /^Usage: weft-proxy-init/,
  'weft-controller': /^Usage: weft-controller/,
  weft: /^Usage: weft /,
};

/** The only build-context files a final stage may copy, besides its launchers. */
const CONTEXT_FILES = ['package.json', 'package-lock.json', 'proto/'];

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
const stagesOf = (image: Image) => parseDockerfile(read(image.file));
const finalStage = (stages: Stage[]) => stages[stages.length - 1];

function workdir(stage: Stage): string {
  return instructionsOf(stage, 'WORKDIR').at(-1)?.args ?? '/';
}

function runsCommand(stage: Stage, pattern: RegExp): string | undefined {
  return instructionsOf(stage, 'RUN').flatMap((run) => runCommands(run.args)).find((command) => pattern.test(command));
}

const PRODUCTION_INSTALL = /^npm ci( .*)? --omit=dev( |$)/;

/** Where a final-stage COPY source comes from, in the terms the checks allow. */
type Source = { kind: 'context'; path: string } | { kind: 'dist' } | { kind: 'production node_modules' } | { kind: 'not allowed'; why: string };

function classify(stages: Stage[], copy: Copy, source: string): Source {
  if (copy.from === undefined) return { kind: 'context', path: source };
  const stage = stages.find((s) => s.name === copy.from);
  if (!stage) return { kind: 'not allowed', why: `--from=${copy.from} is not a stage of this file` };
  const absolute = path.posix.resolve(workdir(stage), source);
  if (absolute === path.posix.join(workdir(stage), 'dist') && runsCommand(stage, /^npm run build$/)) return { kind: 'dist' };
  if (absolute === path.posix.join(workdir(stage), 'node_modules') && runsCommand(stage, PRODUCTION_INSTALL)) {
    return { kind: 'production node_modules' };
  }
  return { kind: 'not allowed', why: `${absolute} from stage ${copy.from} is neither the build's dist/ nor an \`npm ci --omit=dev\` tree` };
}

const copiesOf = (stage: Stage) => instructionsOf(stage, 'COPY').map((i) => ({ line: i.line, copy: parseCopy(i.args) }));

/** The .dockerignore allow-list (`!path` lines after a leading `*`). */
function dockerignoreAllows(): string[] {
  const lines = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  return lines[0] === '*' ? lines.slice(1).filter((l) => l.startsWith('!')).map((l) => l.slice(1)) : [];
}

t.test('.dockerignore sends only sources: an allow-list without tests, node_modules, dist/ or .git', async (t) => {
  const allowed = dockerignoreAllows();
  t.ok(allowed.length > 0, '.dockerignore starts with * and lists what it lets through');
  for (const forbidden of ['test', 'node_modules', 'dist', '.git', 'bench']) {
    t.notOk(allowed.some((a) => a.replace(/\/$/, '') === forbidden), `${forbidden} is not sent to the builder`);
  }
});

for (const image of IMAGES) {
  t.test(`${image.file}: lint`, async (t) => {
    const text = read(image.file);
    const stages = parseDockerfile(text);
    const final = finalStage(stages);

    t.ok(stages.length >= 2, `multi-stage (${stages.length} stages)`);
    stages.forEach((stage, i) => {
      const earlier = stages.slice(0, i).some((s) => s.name === stage.base);
      t.ok(earlier || stage.base === NODE_BASE, `stage ${i + 1} starts from ${stage.base}: an earlier stage or ${NODE_BASE}, pinned`);
    });
    t.equal(final.base, NODE_BASE, 'the final stage is the slim Node image itself, not the build stage');

    const all = stages.flatMap((s) => s.instructions);
    t.same(all.filter((i) => i.keyword === 'ADD').map((i) => i.line), [], 'no ADD (no downloads, no archive unpacking): COPY only');
    for (const i of all.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
      const names = i.args.split(/\s+/).map((word) => word.split('=')[0]);
      t.notOk(names.some((name) => SECRET_NAME.test(name)), `line ${i.line}: ${i.keyword} ${names.join(' ')} names no secret`);
    }
    t.notMatch(text, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'no key material');
    for (const { line, copy } of stages.flatMap(copiesOf)) {
      t.notOk(copy.sources.some((s) => SECRET_FILE.test(s.replace(/\/$/, ''))), `line ${line}: copies no credentials file`);
    }

    const users = instructionsOf(final, 'USER');
    t.ok(users.length > 0, 'the final stage sets USER');
    const user = users.at(-1)!.args.split(':')[0];
    t.match(user, /^\d+$/, 'USER is numeric, so runAsNonRoot can verify it');
    t.equal(image.wrongUser(Number(user)), undefined, `USER ${user}`);
    const lastRun = instructionsOf(final, 'RUN').at(-1)?.line ?? 0;
    t.ok(users.at(-1)!.line > lastRun, 'nothing runs after USER (as root or otherwise)');

    for (const { line, copy } of copiesOf(final)) {
      for (const source of copy.sources) {
        const from = classify(stages, copy, source);
        if (from.kind === 'not allowed') {
          t.fail(`line ${line}: ${from.why}`);
        } else if (from.kind === 'context') {
          const launcher = image.launchers.some((l) => source === `image/bin/${l}`);
          t.ok(launcher || CONTEXT_FILES.includes(source), `line ${line}: ${source} is a package file, proto/ or a launcher`);
          t.ok(dockerignoreAllows().some((a) => source.startsWith(a.replace(/\/?$/, ''))), `line ${line}: .dockerignore lets ${source} through`);
        }
      }
    }
    const kinds = copiesOf(final).flatMap(({ copy }) => copy.sources.map((s) => classify(stages, copy, s).kind));
    t.ok(kinds.includes('dist') && kinds.includes('production node_modules'), 'the final stage copies dist/ and production node_modules');

    const entrypoint = instructionsOf(final, 'ENTRYPOINT').at(-1);
    t.same(entrypoint && execForm(entrypoint.args), [image.entrypoint], `ENTRYPOINT ["${image.entrypoint}"], exec form (signals reach node)`);
    const env = instructionsOf(final, 'ENV').map((i) => i.args).join(' ');
    t.match(env, new RegExp(`PATH=${path.posix.join(workdir(final), 'bin')}:`), 'the launchers are on PATH');
    for (const launcher of image.launchers) {
      const script = read(`image/bin/${launcher}`);
      t.match(script, /^#!\/bin\/sh\n/, `image/bin/${launcher} is a shell script`);
      t.match(script, /\nexec node "\$\(dirname "\$0"\)\/\.\.\/dist\/[\w/]+\.js" "\$@"\n/, `image/bin/${launcher} execs the compiled code`);
      t.ok(fs.statSync(path.join(REPO_ROOT, 'image/bin', launcher)).mode & 0o111, `image/bin/${launcher} is executable`);
    }
  });
}

t.test('tsx is a development dependency: the source bins use it, the compiled code does not', async (t) => {
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; bin: Record<string, string> };
  t.notOk('tsx' in pkg.dependencies);
  t.ok('tsx' in pkg.devDependencies);
  for (const bin of Object.values(pkg.bin)) t.match(read(bin), /require\('tsx\/cjs'\)/, `${bin} runs the sources through tsx`);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(program: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(program, [...args], { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr: err && code === null ? `${stderr}${err.message}` : stderr });
    });
  });
}

/** The test's environment without tap's loader (NODE_OPTIONS), which must not follow programs into the tree. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _loader, NODE_PATH: _path, ...env } = process.env;
  return { ...env, ...extra };
}

/** `npm ci` could not reach the registry (and the cache lacked a package): the environment's fault, not ours. */
const OFFLINE = /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|network/i;

t.test('each final stage, assembled from dist/ and npm ci --omit=dev outside the repository, runs every program', async (t) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-images-'));
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
  for (let dir = path.dirname(work); ; dir = path.dirname(dir)) {
    t.notOk(fs.existsSync(path.join(dir, 'node_modules')), `no ${dir}/node_modules above the trees, which Node would search`);
    if (dir === path.dirname(dir)) break;
  }

  const stagesByImage = IMAGES.map(stagesOf);
  // One build and one production install serve both images; their Dockerfiles build and install alike.
  const deps = stagesByImage[0].find((stage) => runsCommand(stage, PRODUCTION_INSTALL))!;
  const install = runsCommand(deps, PRODUCTION_INSTALL)!.split(' ');
  const installDir = path.join(work, 'deps');
  fs.mkdirSync(installDir);
  for (const file of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(REPO_ROOT, file), path.join(installDir, file));
  const distDir = path.join(work, 'dist');
  const tsc = require.resolve('typescript/bin/tsc');
  const [installed, built] = await Promise.all([
    run(install[0], [...install.slice(1), '--prefer-offline'], { cwd: installDir, env: cleanEnv(), timeoutMs: 120_000 }),
    // --noCheck: the same JavaScript as `npm run build`, without repeating the type check `npm test` starts with.
    run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', distDir, '--noCheck'], { cwd: REPO_ROOT, env: cleanEnv(), timeoutMs: 120_000 }),
  ]);
  t.equal(built.code, 0, `tsc -p tsconfig.build.json --outDir (as npm run build): ${built.stdout}${built.stderr}`);
  if (installed.code !== 0 && OFFLINE.test(installed.stderr)) {
    return t.skip(`\`${install.join(' ')}\` could not reach the npm registry: ${installed.stderr.trim().split('\n')[0]}`, async () => {});
  }
  t.equal(installed.code, 0, `${install.join(' ')}: ${installed.stderr.trim()}`);

  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
  const devPackages = Object.entries(lock.packages).filter(([key, entry]) => key !== '' && entry.dev).map(([key]) => key);
  t.ok(devPackages.includes('node_modules/tsx'), 'the lockfile marks tsx as a development package');
  t.same(devPackages.filter((key) => fs.existsSync(path.join(installDir, key))), [], 'the production install holds no development package');

  for (const [i, image] of IMAGES.entries()) {
    t.test(image.file, async (t) => {
      const stages = stagesByImage[i];
      const final = finalStage(stages);
      const tree = path.join(work, path.basename(image.file));
      for (const { copy } of copiesOf(final)) {
        const destination = path.join(tree, path.posix.relative(workdir(final), path.posix.resolve(workdir(final), copy.destination)));
        for (const source of copy.sources) {
          const from = classify(stages, copy, source);
          const local =
            from.kind === 'context' ? path.join(REPO_ROOT, from.path)
            : from.kind === 'dist' ? distDir
            : from.kind === 'production node_modules' ? path.join(installDir, 'node_modules')
            : undefined;
          if (!local) throw new Error(`${image.file}: ${source} cannot be assembled (see the lint)`);
          if (fs.statSync(local).isDirectory()) {
            // COPY puts a directory's contents into the destination; hard links make that cheap for node_modules.
            fs.mkdirSync(destination, { recursive: true });
            const linked = await run('cp', ['-al', `${local}/.`, destination], { timeoutMs: 60_000 });
            t.equal(linked.code, 0, `cp -al ${local}/. ${destination}: ${linked.stderr}`);
          } else {
            fs.cpSync(local, copy.destination.endsWith('/') ? path.join(destination, path.basename(source)) : destination);
          }
        }
      }

      const env = cleanEnv({ HOME: work, PATH: `${path.join(tree, 'bin')}:${path.dirname(process.execPath)}:/usr/bin:/bin` });
      for (const program of image.launchers) {
        const help = await run(program, ['--help'], { cwd: work, env, timeoutMs: 30_000 });
        t.equal(help.code, 0, `${program} --help exits 0: ${help.stderr.trim()}`);
        t.match(help.stdout, HELP[program], `${program} --help prints its usage`);
      }
      // The CLI is in no image, but it runs from the same compiled tree.
      const cli = await run(process.execPath, [path.join(tree, 'dist/cli/main.js'), '--help'], { cwd: work, env, timeoutMs: 30_000 });
      t.equal(cli.code, 0, `weft --help exits 0: ${cli.stderr.trim()}`);
      t.match(cli.stdout, HELP.weft);

      const loads = await run(
        process.execPath,
        ['-e', `require('koffi').load('libc.so.6'); require('./dist/common/grpc.js').loadService('destination.proto', 'weft.destination.Destination')`],
        { cwd: tree, env, timeoutMs: 30_000 },
      );
      t.equal(loads.code, 0, `koffi's native code (for SO_ORIGINAL_DST) and the .proto files load from the tree: ${loads.stderr.trim()}`);
    });
  }
});

/** A container engine that answers, or why there is none. */
async function containerEngine(): Promise<{ engine: string } | { skip: string }> {
  const reasons: string[] = [];
  for (const engine of ['docker', 'podman']) {
    const info = await run(engine, ['info'], { env: cleanEnv(), timeoutMs: 30_000 });
    if (info.code === 0) return { engine };
    const why = info.code === null && /ENOENT/.test(info.stderr) ? 'not installed' : (info.stderr.trim().split('\n').find((l) => l.trim() !== '') ?? `exit ${info.code}`);
    reasons.push(`${engine}: ${why}`);
  }
  return { skip: `no container engine: ${reasons.join('; ')}` };
}

t.test('the images build and run where a container engine with the base image is available', async (t) => {
  const found = await containerEngine();
  if ('skip' in found) return t.plan(0, found.skip);
  const { engine } = found;
  const base = await run(engine, ['image', 'inspect', NODE_BASE], { env: cleanEnv(), timeoutMs: 30_000 });
  if (base.code !== 0) return t.plan(0, `${engine} has no ${NODE_BASE} image (\`${engine} pull ${NODE_BASE}\` to build here)`);

  for (const image of IMAGES) {
    const tag = `weft-test-${path.extname(image.file).slice(1)}:${randomBytes(4).toString('hex')}`;
    t.teardown(() => run(engine, ['rmi', '-f', tag], { env: cleanEnv(), timeoutMs: 60_000 }));
    const built = await run(engine, ['build', '-f', image.file, '-t', tag, '.'], { cwd: REPO_ROOT, env: cleanEnv(), timeoutMs: 600_000 });
    t.equal(built.code, 0, `${engine} build -f ${image.file}: ${built.stderr.trim().split('\n').slice(-5).join(' / ')}`);
    if (built.code !== 0) continue;
    for (const program of image.launchers) {
      const help = await run(engine, ['run', '--rm', '--entrypoint', program, tag, '--help'], { env: cleanEnv(), timeoutMs: 60_000 });
      t.match(help, { code: 0, stdout: HELP[program] }, `${program} --help in the image`);
    }
    const uid = await run(engine, ['run', '--rm', '--entrypoint', 'id', tag, '-u'], { env: cleanEnv(), timeoutMs: 60_000 });
    t.equal(image.wrongUser(Number(uid.stdout.trim())), undefined, `${image.file} runs as uid ${uid.stdout.trim()}`);
  }
});
