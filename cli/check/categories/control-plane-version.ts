// control-plane-version: which weft the control plane runs (its Deployments' image tags) and which proxy version
// the injector hands out, each compared with this CLI's (warnings: a CLI one release apart still works).
import { CHECK_CATEGORIES, MESH_CONFIG_MAP } from '../../../common/contract';
import { deployments, meshConfig, type Deployment } from '../cluster';
import { COMPONENTS } from '../components';
import type { CheckContext } from '../context';
import type { Category } from '../types';
import { CheckFailure } from '../types';

const tagOf = (image: string | undefined) => (image && /:([\w][\w.-]*)$/.exec(image.split('@')[0])?.[1]) || undefined;

/** The version every control plane Deployment runs; throws when they disagree or say none. */
export async function controlPlaneVersion(ctx: CheckContext): Promise<string> {
  const names = new Set(COMPONENTS.map((c) => c.deployment));
  const versions = new Map<string, string[]>();
  for (const d of (await deployments(ctx)).filter((x: Deployment) => names.has(x.metadata.name))) {
    const tag = tagOf(d.spec?.template?.spec?.containers?.[0]?.image) ?? '(no tag)';
    versions.set(tag, [...(versions.get(tag) ?? []), d.metadata.name]);
  }
  if (versions.size === 0) throw new CheckFailure('no control plane Deployment to read a version from');
  if (versions.size > 1) {
    throw new CheckFailure(`the control plane runs several versions: ${[...versions].map(([v, ds]) => `${ds.join(', ')} ${v}`).join('; ')}`, 'finish the upgrade: weft upgrade | kubectl apply -f -');
  }
  const [version] = versions.keys();
  if (version === '(no tag)') throw new CheckFailure('the control plane images carry no version tag');
  return version;
}

export const controlPlaneVersionCategory: Category = {
  name: CHECK_CATEGORIES.controlPlaneVersion,
  checks: [
    {
      description: 'can retrieve the control plane version',
      hint: 'install the control plane: weft install | kubectl apply -f -',
      run: async (ctx) => void (await controlPlaneVersion(ctx)),
    },
    {
      description: 'control plane and cli versions match',
      hint: 'upgrade the one that is behind: weft upgrade | kubectl apply -f -, or install the matching CLI',
      warning: true,
      run: async (ctx) => {
        const version = await controlPlaneVersion(ctx);
        if (version !== ctx.options.cliVersion) throw new CheckFailure(`the control plane runs ${version}, this CLI is ${ctx.options.cliVersion}`);
      },
    },
    {
      description: `'${MESH_CONFIG_MAP}' proxy version matches the cli`,
      hint: 'upgrade the one that is behind: weft upgrade | kubectl apply -f -, or install the matching CLI',
      warning: true,
      run: async (ctx) => {
        const { version } = (await meshConfig(ctx)).proxy;
        if (version !== ctx.options.cliVersion) throw new CheckFailure(`new pods get proxy ${version}, this CLI is ${ctx.options.cliVersion}`);
      },
    },
  ],
};
