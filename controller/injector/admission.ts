// AdmissionReview admission.k8s.io/v1, the webhook's wire format: reading a review the API server sent, and
// writing the answer. Pure and never throws: a body that is no review is an `invalid` result naming what is wrong.
import type { JsonPatchOp } from '../../common/json-patch';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}
interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** The fields of AdmissionReview.request the injector reads. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: string;
  object?: unknown;
  dryRun?: boolean;
}

export type ReadReview = { kind: 'review'; request: AdmissionRequest } | { kind: 'invalid'; problem: string };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

export function readAdmissionReview(body: unknown): ReadReview {
  const invalid = (problem: string): ReadReview => ({ kind: 'invalid', problem });
  if (!isObject(body)) return invalid('the body is not a JSON object: send an AdmissionReview');
  if (body.apiVersion !== ADMISSION_API_VERSION || body.kind !== 'AdmissionReview') {
    return invalid(
      `expected apiVersion ${ADMISSION_API_VERSION}, kind AdmissionReview, got ${JSON.stringify(body.apiVersion)}, ${JSON.stringify(body.kind)}: list only v1 in the webhook's admissionReviewVersions`,
    );
  }
  const request = body.request;
  if (!isObject(request)) return invalid('the AdmissionReview has no request');
  if (!isString(request.uid) || request.uid === '') return invalid('request.uid is missing: the answer must echo it');
  if (!isString(request.operation)) return invalid('request.operation is missing');
  const kind = request.kind;
  const resource = request.resource;
  if (!isObject(kind) || !isString(kind.kind) || !isString(kind.version)) return invalid('request.kind is missing or malformed');
  if (!isObject(resource) || !isString(resource.resource) || !isString(resource.version)) return invalid('request.resource is missing or malformed');
  for (const field of ['subResource', 'name', 'namespace'] as const) {
    if (request[field] !== undefined && !isString(request[field])) return invalid(`request.${field} must be a string`);
  }
  return {
    kind: 'review',
    request: {
      uid: request.uid,
      kind: { group: isString(kind.group) ? kind.group : '', version: kind.version, kind: kind.kind },
      resource: { group: isString(resource.group) ? resource.group : '', version: resource.version, resource: resource.resource },
      subResource: request.subResource as string | undefined,
      name: request.name as string | undefined,
      namespace: request.namespace as string | undefined,
      operation: request.operation,
      object: request.object,
      dryRun: request.dryRun === true,
    },
  };
}

/** A pod being created: the only review the injector mutates. */
export function isPodCreate(request: AdmissionRequest): boolean {
  const { kind, resource } = request;
  return (
    request.operation === 'CREATE' &&
    kind.group === '' && kind.version === 'v1' && kind.kind === 'Pod' &&
    resource.group === '' && resource.resource === 'pods' &&
    !request.subResource
  );
}

export interface AdmissionAnswer {
  /** Absent: allowed unchanged. */
  patch?: readonly JsonPatchOp[];
  /** Shown by kubectl as `Warning: …`. */
  warnings: readonly string[];
}

/** The AdmissionReview that answers `uid`: always allowed (the injector never blocks a pod). */
export function admissionResponse(uid: string, answer: AdmissionAnswer): object {
  const patch = answer.patch && answer.patch.length > 0 ? answer.patch : undefined;
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: true,
      ...(patch ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') } : {}),
      ...(answer.warnings.length > 0 ? { warnings: [...answer.warnings] } : {}),
    },
  };
}
