// Kubernetes manifests as `weft inject` and `weft uninject` read and write them: multi-document YAML (or JSON),
// Lists, and the workload kinds whose pod template the injector works on, each checked with kubernetes-models.
import * as fs from 'node:fs';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Pod } from 'kubernetes-models/v1/Pod';
import YAML from 'yaml';
import { UsageError } from '../common/errors';
import { describeYamlError } from '../common/yaml-error';
import type { PodLike } from '../injector/eligibility';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; generateName?: string; namespace?: string };
  [field: string]: unknown;
}

type ModelClass = new (data: never) => { validate(): void };

interface WorkloadKind {
  model: ModelClass;
  /** Where the pod template is inside the object; empty for a Pod, whose metadata and spec are its own. */
  templatePath: readonly string[];
}

const WORKLOADS: Record<string, WorkloadKind> = {
  'apps/v1 Deployment': { model: Deployment, templatePath: ['spec', 'template'] },
  'apps/v1 StatefulSet': { model: StatefulSet, templatePath: ['spec', 'template'] },
  'apps/v1 DaemonSet': { model: DaemonSet, templatePath: ['spec', 'template'] },
  'apps/v1 ReplicaSet': { model: ReplicaSet, templatePath: ['spec', 'template'] },
  'batch/v1 Job': { model: Job, templatePath: ['spec', 'template'] },
  'batch/v1 CronJob': { model: CronJob, templatePath: ['spec', 'jobTemplate', 'spec', 'template'] },
  'v1 Pod': { model: Pod, templatePath: [] },
};
export const WORKLOAD_KINDS = Object.keys(WORKLOADS).map((key) => key.split(' ')[1]);

/** `deployment "web"`, as the stderr lines and errors name an object. */
export function describe(object: KubeObject): string {
  const name = object.metadata?.name ?? object.metadata?.generateName ?? '';
  return `${(object.kind ?? 'object').toLowerCase()} ${JSON.stringify(name)}`;
}

export function isList(object: KubeObject): object is KubeObject & { items: unknown[] } {
  return object.apiVersion === 'v1' && object.kind === 'List' && Array.isArray(object.items);
}

export function workloadKind(object: KubeObject): WorkloadKind | undefined {
  return WORKLOADS[`${object.apiVersion} ${object.kind}`];
}

/** ajv's errors (kubernetes-models' ValidationError lists them all) as `spec.template.spec.containers[0].name: …`. */
export function schemaProblems(model: ModelClass, object: unknown): string[] {
  try {
    new model(object as never).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }> }).errors;
    if (!Array.isArray(errors)) throw err;
    return errors.map((e) => {
      const field = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
      const missing = e.params?.missingProperty;
      return `${field || '(top level)'}${missing ? `.${String(missing)}` : ''}: ${e.message ?? 'invalid'}`;
    });
  }
}

/** The pod template inside a workload (the object itself for a Pod). */
export function podTemplate(object: KubeObject, kind: WorkloadKind): PodLike {
  let node: unknown = object;
  for (const key of kind.templatePath) node = (node as Record<string, unknown> | undefined)?.[key];
  return (node ?? {}) as PodLike;
}

/** A copy of the workload with its pod template replaced. */
export function withPodTemplate(object: KubeObject, kind: WorkloadKind, template: PodLike): KubeObject {
  const copy = structuredClone(object);
  if (kind.templatePath.length === 0) {
    for (const key of ['metadata', 'spec'] as const) {
      if (template[key] === undefined) delete copy[key];
      else (copy as Record<string, unknown>)[key] = template[key];
    }
    return copy;
  }
  let node = copy as Record<string, unknown>;
  for (const key of kind.templatePath.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[kind.templatePath[kind.templatePath.length - 1]] = template;
  return copy;
}

/** FILE, or `-` for stdin. */
export function readManifestText(file: string): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (err as Error).message})`}: give a manifest file, or - to read stdin`);
  }
}

/** Every document that holds something; a syntax error or a document that is no object names its line and column. */
export function parseManifests(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    const [error] = doc.errors;
    if (error) throw new UsageError(describeYamlError(source, error));
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value) || typeof (value as KubeObject).kind !== 'string') {
      const at = doc.contents?.range ? lineCol(text, doc.contents.range[0]) : '?';
      throw new UsageError(`${source}:${at}: not a Kubernetes object (a map with apiVersion and kind)`);
    }
    objects.push(value as KubeObject);
  }
  return objects;
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

export function formatManifests(objects: readonly KubeObject[]): string {
  return objects.map((object) => YAML.stringify(object, { lineWidth: 0 })).join('---\n');
}

/** What a command did to one workload's pod template: the new template (none: unchanged) and its stderr line. */
export interface TemplateChange {
  template?: PodLike;
  /** After the object's name: `injected`, `skipped: host_network: …`. */
  outcome: string;
  warnings?: readonly string[];
}
export type ChangeTemplate = (object: KubeObject, template: PodLike) => TemplateChange;

/**
 * Applies `change` to the pod template of every workload, Lists included, and reports one line per object.
 * A workload that is not valid on the way in is the user's (exit 2); one that is not valid on the way out is ours.
 */
export function transformWorkloads(objects: readonly KubeObject[], change: ChangeTemplate, report: (line: string) => void): KubeObject[] {
  return objects.map((object) => transformObject(object, change, report));
}

function transformObject(object: KubeObject, change: ChangeTemplate, report: (line: string) => void): KubeObject {
  if (isList(object)) {
    const items = object.items.map((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new UsageError(`${describe(object)} item ${i} is not a Kubernetes object`);
      return transformObject(item as KubeObject, change, report);
    });
    return { ...object, items };
  }
  const kind = workloadKind(object);
  if (!kind) {
    report(`${describe(object)} skipped: not a workload`);
    return object;
  }
  const invalid = schemaProblems(kind.model, object);
  if (invalid.length > 0) throw new UsageError(`${describe(object)} is not a valid ${object.apiVersion} ${object.kind}: ${invalid.slice(0, 3).join('; ')}`);
  const { template, outcome, warnings = [] } = change(object, podTemplate(object, kind));
  report(`${describe(object)} ${outcome}`);
  for (const warning of warnings) report(`${describe(object)} warning: ${warning}`);
  if (!template) return object;
  const changed = withPodTemplate(object, kind, template);
  const problems = schemaProblems(kind.model, changed);
  if (problems.length > 0) throw new Error(`internal error: the ${describe(object)} weft wrote is not valid: ${problems.slice(0, 3).join('; ')}`);
  return changed;
}
