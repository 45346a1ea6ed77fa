// RFC 6902 JSON patch: what the injector answers an AdmissionReview with, what `weft inject --manual` applies to a
// pod template, and what the test API server applies to PATCH requests. One implementation for all three.

export type Json = unknown;
type JsonObject = Record<string, Json>;

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'copy' | 'move' | 'test';
  path: string;
  value?: Json;
  from?: string;
}

/** A patch that cannot be applied to its document: which operation, and why. */
export class JsonPatchError extends Error {
  override name = 'JsonPatchError';
}

const isObject = (v: Json): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** One key or index as a JSON pointer segment (`weft.io/inject` → `weft.io~1inject`). */
export function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new JsonPatchError(`json patch path ${JSON.stringify(path)} must start with "/"`);
  return path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, parts: string[], path: string): Json {
  let node = doc;
  for (const part of parts.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
    if (node === undefined) throw new JsonPatchError(`json patch: the path ${JSON.stringify(path)} does not exist`);
  }
  return node;
}

function read(doc: Json, path: string): Json {
  const parts = pointer(path);
  if (parts.length === 0) return doc;
  const parent = parentOf(doc, parts, path);
  const last = parts[parts.length - 1];
  const value = Array.isArray(parent) ? parent[Number(last)] : isObject(parent) ? parent[last] : undefined;
  if (value === undefined) throw new JsonPatchError(`json patch: the path ${JSON.stringify(path)} does not exist`);
  return value;
}

function arrayIndex(parent: Json[], last: string, mode: 'add' | 'replace' | 'remove', path: string): number {
  if (mode === 'add' && last === '-') return parent.length;
  const index = /^(0|[1-9]\d*)$/.test(last) ? Number(last) : NaN;
  const limit = mode === 'add' ? parent.length : parent.length - 1;
  if (!(index <= limit)) throw new JsonPatchError(`json patch: cannot ${mode} at ${JSON.stringify(path)}: no such index`);
  return index;
}

function write(doc: Json, path: string, value: Json, mode: 'add' | 'replace' | 'remove'): void {
  const parts = pointer(path);
  if (parts.length === 0) throw new JsonPatchError(`json patch: cannot ${mode} the whole document`);
  const parent = parentOf(doc, parts, path);
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, mode, path);
    if (mode === 'add') parent.splice(index, 0, value);
    else if (mode === 'replace') parent[index] = value;
    else parent.splice(index, 1);
  } else if (isObject(parent)) {
    if (mode !== 'add' && !(last in parent)) throw new JsonPatchError(`json patch: cannot ${mode} missing path ${JSON.stringify(path)}`);
    if (mode === 'remove') delete parent[last];
    else parent[last] = value;
  } else {
    throw new JsonPatchError(`json patch: the parent of ${JSON.stringify(path)} is not an object or array`);
  }
}

/** The patched copy of `target`; `target` itself is left unchanged. */
export function applyJsonPatch<T = Json>(target: T, ops: Json): T {
  if (!Array.isArray(ops)) throw new JsonPatchError('a json patch must be an array of operations');
  const doc = structuredClone(target) as Json;
  for (const op of ops as JsonPatchOp[]) {
    switch (op.op) {
      case 'add':
      case 'replace':
        write(doc, op.path, structuredClone(op.value), op.op);
        break;
      case 'remove':
        write(doc, op.path, undefined, 'remove');
        break;
      case 'copy':
      case 'move': {
        const value = structuredClone(read(doc, op.from ?? ''));
        if (op.op === 'move') write(doc, op.from ?? '', undefined, 'remove');
        write(doc, op.path, value, 'add');
        break;
      }
      case 'test':
        if (JSON.stringify(read(doc, op.path)) !== JSON.stringify(op.value)) {
          throw new JsonPatchError(`json patch: test operation failed at ${op.path}`);
        }
        break;
      default:
        throw new JsonPatchError(`json patch: unknown operation ${JSON.stringify((op as { op: unknown }).op)}`);
    }
  }
  return doc as T;
}
