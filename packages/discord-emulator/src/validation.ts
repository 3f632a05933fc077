/**
 * Request body validation against Discord's official schemas (discord-api-spec/zod, generated from
 * Discord's OpenAPI description), turned into Discord's 50035 "Invalid Form Body" error shape.
 */

/** The subset of a zod (mini) schema we use. */
export interface SpecSchema {
  safeParse(data: unknown): { success: true; data: unknown } | { success: false; error: { issues: ZodIssue[] } };
}

interface ZodIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  maximum?: number | bigint;
  minimum?: number | bigint;
  origin?: string;
  values?: unknown[];
  errors?: ZodIssue[][];
  format?: string;
  inclusive?: boolean;
}

export type SpecModule = Record<string, SpecSchema>;

let specPromise: Promise<SpecModule> | null = null;

/**
 * discord-api-spec ships its zod schemas as ESM only ("import" condition), so a CommonJS `require`
 * cannot load them. A real dynamic import is used: under vitest/tsx `import()` works as written; in
 * compiled CommonJS tsc rewrites it into `require`, hence the native-import fallback.
 */
export function loadSpec(): Promise<SpecModule> {
  if (!specPromise) {
    const specifier = 'discord-api-spec/zod';
    specPromise = (async () => {
      try {
        return (await import(specifier)) as SpecModule;
      } catch {
        const nativeImport = new Function('s', 'return import(s)') as (s: string) => Promise<SpecModule>;
        return nativeImport(specifier);
      }
    })();
  }
  return specPromise;
}

export interface DiscordErrorItem {
  code: string;
  message: string;
}
export type DiscordErrorTree = { _errors?: DiscordErrorItem[]; [k: string]: DiscordErrorTree | DiscordErrorItem[] | undefined };

export interface InvalidFormBody {
  [k: string]: unknown;
  code: 50035;
  message: 'Invalid Form Body';
  errors: DiscordErrorTree;
}

export function invalidFormBody(errors: DiscordErrorTree): InvalidFormBody {
  return { code: 50035, message: 'Invalid Form Body', errors };
}

/** Adds one error at `path` (Discord nests errors by field, arrays by index). */
export function addError(tree: DiscordErrorTree, path: readonly PropertyKey[], item: DiscordErrorItem): void {
  let node = tree;
  for (const seg of path) {
    const key = String(seg);
    let next = node[key] as DiscordErrorTree | undefined;
    if (!next || Array.isArray(next)) {
      next = {};
      node[key] = next;
    }
    node = next;
  }
  (node._errors ??= []).push(item);
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = body;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

function withValueAt(body: unknown, path: readonly PropertyKey[], value: unknown): unknown {
  if (path.length === 0) return value;
  const clone: unknown = structuredClone(body);
  let v = clone as Record<string, unknown>;
  for (let i = 0; i < path.length - 1; i++) v = v[path[i] as string] as Record<string, unknown>;
  v[path[path.length - 1] as string] = value;
  return clone;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
}

function issueToItem(schema: SpecSchema, body: unknown, issue: ZodIssue): DiscordErrorItem {
  const value = valueAt(body, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined) return { code: 'BASE_TYPE_REQUIRED', message: 'This field is required' };
      switch (issue.expected) {
        case 'string':
          return { code: 'BASE_TYPE_STRING', message: `Could not interpret "${show(value)}" as string.` };
        case 'number':
        case 'int':
        case 'bigint':
          return { code: 'NUMBER_TYPE_COERCE', message: `Value "${show(value)}" is not int.` };
        case 'boolean':
          return { code: 'BOOLEAN_TYPE_COERCE', message: `Value "${show(value)}" is not a boolean.` };
        case 'array':
          return { code: 'LIST_TYPE_CONVERT', message: 'Only iterables may be used in a ListType' };
        case 'object':
          return { code: 'MODEL_TYPE_CONVERT', message: 'Only dictionaries may be used in a ModelType' };
        default:
          return { code: 'BASE_TYPE_CONVERT', message: `Could not interpret "${show(value)}" as ${issue.expected}.` };
      }
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') {
        // Discord states both bounds when the field has a minimum too ("Must be between 1 and 100 in length.").
        const probe = schema.safeParse(withValueAt(body, issue.path, ''));
        let min = probe.success ? undefined : probe.error.issues.find((i) => i.code === 'too_small' && samePath(i.path, issue.path))?.minimum;
        // Command/option descriptions are 1-100 on Discord although the spec omits the minimum.
        if (min === undefined && max === 100 && issue.path[issue.path.length - 1] === 'description') min = 1;
        if (min !== undefined) return { code: 'BASE_TYPE_BAD_LENGTH', message: `Must be between ${Number(min)} and ${max} in length.` };
        return { code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` };
      }
      if (issue.origin === 'array' || issue.origin === 'set') return { code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` };
      return { code: 'NUMBER_TYPE_MAX', message: `int value should be less than or equal to ${max}.` };
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') {
        const probe = schema.safeParse(withValueAt(body, issue.path, 'x'.repeat(100000)));
        const max = probe.success ? undefined : probe.error.issues.find((i) => i.code === 'too_big' && samePath(i.path, issue.path))?.maximum;
        if (max !== undefined) return { code: 'BASE_TYPE_BAD_LENGTH', message: `Must be between ${min} and ${Number(max)} in length.` };
        return { code: 'BASE_TYPE_MIN_LENGTH', message: `Must be ${min} or more in length.` };
      }
      if (issue.origin === 'array' || issue.origin === 'set') return { code: 'BASE_TYPE_MIN_LENGTH', message: `Must be ${min} or more in length.` };
      return { code: 'NUMBER_TYPE_MIN', message: `int value should be greater than or equal to ${min}.` };
    }
    case 'invalid_value':
      return { code: 'BASE_TYPE_CHOICES', message: `Value must be one of {${(issue.values ?? []).map(show).join(', ')}}.` };
    case 'invalid_format':
      if (issue.format === 'regex') {
        if (typeof value === 'string' && /^\d*$/.test(value) === false && issue.path.length) return { code: 'NUMBER_TYPE_COERCE', message: `Value "${value}" is not snowflake.` };
        return { code: 'STRING_TYPE_REGEX', message: 'String value did not match validation regex.' };
      }
      return { code: 'STRING_TYPE_FORMAT', message: `Not a well formed ${issue.format ?? 'value'}.` };
    default:
      return { code: 'BASE_TYPE_INVALID', message: issue.message };
  }
}

function samePath(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
  return a.length === b.length && a.every((s, i) => String(s) === String(b[i]));
}

/** Flattens union failures: Discord reports the errors of the closest alternative. */
function flatten(issues: ZodIssue[], basePath: PropertyKey[] = []): ZodIssue[] {
  const out: ZodIssue[] = [];
  for (const issue of issues) {
    const path = [...basePath, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors?.length) {
      // Prefer the alternative whose errors are deepest (it matched the most structure), then the fewest.
      const alts = issue.errors.map((alt) => flatten(alt, path)).filter((a) => a.length > 0);
      if (alts.length === 0) continue;
      alts.sort((x, y) => depth(y) - depth(x) || x.length - y.length);
      out.push(...alts[0]);
    } else out.push({ ...issue, path });
  }
  return out;
}

const depth = (issues: ZodIssue[]) => Math.max(...issues.map((i) => i.path.length));

/**
 * Discord reads integer fields leniently: a string of digits is taken as the number (discord.js
 * sends permission bitfields such as `default_member_permissions` as strings, while the spec types
 * them as numbers). Returns the body with such strings turned into numbers where the schema wants one.
 */
function coerceIntegerStrings(schema: SpecSchema, body: unknown): unknown {
  let current = body;
  for (let round = 0; round < 50; round++) {
    const r = schema.safeParse(current);
    if (r.success) return current;
    const isDigits = (v: unknown): v is string => typeof v === 'string' && /^-?\d+$/.test(v);
    const fix = flatten(r.error.issues).find((i) => i.code === 'invalid_type' && (i.expected === 'number' || i.expected === 'int') && isDigits(valueAt(current, i.path)));
    if (!fix) return current;
    current = withValueAt(current, fix.path, Number(valueAt(current, fix.path)));
  }
  return current;
}

/** Validates `body`; returns null when valid, else Discord's 50035 error body. */
export function validateBody(schema: SpecSchema, rawBody: unknown): InvalidFormBody | null {
  const body = coerceIntegerStrings(schema, rawBody);
  const r = schema.safeParse(body);
  if (r.success) return null;
  const tree: DiscordErrorTree = {};
  for (const issue of flatten(r.error.issues)) addError(tree, issue.path, issueToItem(schema, body, issue));
  return invalidFormBody(tree);
}

/** A schema for a JSON array of items (e.g. bulk command overwrite), with a max length. */
export function arrayOf(item: SpecSchema, max: number): SpecSchema {
  return {
    safeParse(data: unknown) {
      if (!Array.isArray(data)) return { success: false, error: { issues: [{ code: 'invalid_type', expected: 'array', path: [], message: 'expected array' }] } };
      const issues: ZodIssue[] = [];
      if (data.length > max) issues.push({ code: 'too_big', origin: 'array', maximum: max, path: [], message: 'too big' });
      data.forEach((el, i) => {
        const r = item.safeParse(el);
        if (!r.success) for (const is of r.error.issues) issues.push({ ...is, path: [i, ...is.path] });
      });
      return issues.length ? { success: false, error: { issues } } : { success: true, data };
    },
  };
}

/** Picks the schema by a discriminating `type` field (interaction callbacks). */
export function byType(map: Record<number, SpecSchema>): SpecSchema {
  return {
    safeParse(data: unknown) {
      const type = (data as { type?: unknown } | null)?.type;
      const s = typeof type === 'number' ? map[type] : undefined;
      if (!s) {
        const code = type === undefined ? 'invalid_type' : 'invalid_value';
        return { success: false, error: { issues: [{ code, expected: 'number', values: Object.keys(map).map(Number), path: ['type'], message: 'bad type' }] } };
      }
      return s.safeParse(data);
    },
  };
}

/** Hand-written schema for bodies the spec describes inline (bulk delete). */
export const BulkDeleteSchema: SpecSchema = {
  safeParse(data: unknown) {
    const issues: ZodIssue[] = [];
    const msgs = (data as { messages?: unknown } | null)?.messages;
    if (!Array.isArray(msgs)) issues.push({ code: 'invalid_type', expected: 'array', path: ['messages'], message: '' });
    else {
      if (msgs.length < 2) issues.push({ code: 'too_small', origin: 'array', minimum: 2, path: ['messages'], message: '' });
      if (msgs.length > 100) issues.push({ code: 'too_big', origin: 'array', maximum: 100, path: ['messages'], message: '' });
      msgs.forEach((m, i) => {
        if (typeof m !== 'string' || !/^(0|[1-9][0-9]*)$/.test(m)) issues.push({ code: 'invalid_format', format: 'regex', path: ['messages', i], message: '' });
      });
    }
    return issues.length ? { success: false, error: { issues } } : { success: true, data };
  },
};
