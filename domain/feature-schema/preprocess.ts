import { AppError, type ErrorDetail } from '../errors';
import { assertInputSchema, FeatureSchemaError } from './schema-problems';
import type { EncodedRows, PropertySchema, TensorEncoding } from './types';

/**
 * Turns JSON rows into the model's input tensor data, validating every field on the way.
 *
 * Rules ("dense" encoding, float32 [N, D], columns in `x-hotswap-tensor.order`):
 * - number / integer → the value; boolean → 1 / 0;
 * - string with an enum → one-hot over the enum, in enum order (["web","pos"]: "pos" → 0, 1);
 * - array of numbers with a fixed length L → L columns, flattened;
 * - an optional field that is absent takes its "default"; with no default it encodes as zeros.
 * "string" encoding: string [N, 1] from the single string property.
 *
 * Every bad field is reported, not only the first: missing required, unknown field (when
 * additionalProperties is false), wrong type, non-finite number, out of range, not in the
 * enum, wrong array length, bad array item (`pixels[3]`). Batches prefix each field with
 * `instances[i].`. All of it raises one AppError SCHEMA_VALIDATION_ERROR.
 */
export interface FeatureEncoder {
  readonly tensorName: string;
  readonly encoding: TensorEncoding;
  /** Columns per row: D for dense, 1 for string. */
  readonly width: number;
  /** Property names in column order. */
  readonly order: readonly string[];
  /** Validates and encodes one row (the native single-prediction path). */
  encodeOne(row: unknown): EncodedRows;
  /** Validates and encodes many rows; field names are prefixed `instances[i].`. */
  encodeMany(rows: readonly unknown[]): EncodedRows;
}

type Kind = 'number' | 'integer' | 'boolean' | 'onehot' | 'array' | 'string';

interface Field {
  name: string;
  kind: Kind;
  /** Column offset within the row (dense). */
  offset: number;
  /** Columns this field occupies (dense). */
  width: number;
  required: boolean;
  hasDefault: boolean;
  default: unknown;
  min: number;
  max: number;
  exclusiveMin: boolean;
  exclusiveMax: boolean;
  rangeMessage: string;
  enumIndex?: Map<unknown, number>;
  enumMessage?: string;
  minLength?: number;
  maxLength?: number;
  item?: Field;
}

const NO_DETAILS: ErrorDetail[] = [];

export function compileFeatureEncoder(rawSchema: unknown): FeatureEncoder {
  const schema = assertInputSchema(rawSchema);
  const ext = schema['x-hotswap-tensor'];
  const required = new Set(schema.required ?? []);
  const dense = ext.encoding === 'dense';
  let offset = 0;
  const fields: Field[] = [];
  for (const name of ext.order) {
    const f = compileField(name, schema.properties[name], required.has(name), dense);
    f.offset = offset;
    offset += f.width;
    fields.push(f);
  }
  // Properties outside `order` are still validated (and then ignored).
  const validatedOnly: Field[] = [];
  for (const [name, prop] of Object.entries(schema.properties))
    if (!ext.order.includes(name)) validatedOnly.push(compileField(name, prop, required.has(name), false));
  const known = new Set(Object.keys(schema.properties));
  const strict = schema.additionalProperties === false;
  const width = dense ? offset : 1;

  const encodeInto = (row: unknown, dst: Float32Array | string[], rowIndex: number, prefix: string, errs: ErrorDetail[]): void => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      errs.push({ field: prefix === '' ? 'features' : prefix.slice(0, -1), message: 'must be an object of feature values' });
      return;
    }
    const obj = row as Record<string, unknown>;
    if (strict) for (const key in obj) if (!known.has(key)) errs.push({ field: prefix + key, message: 'is not an allowed field' });
    const base = rowIndex * width;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      const v = obj[f.name];
      if (dense) writeDense(f, v, dst as Float32Array, base + f.offset, prefix, errs);
      else {
        const s = checkScalar(f, v, prefix + f.name, errs);
        (dst as string[])[rowIndex] = typeof s === 'string' ? s : '';
      }
    }
    for (let i = 0; i < validatedOnly.length; i++) {
      const f = validatedOnly[i];
      checkScalar(f, obj[f.name], prefix + f.name, errs);
    }
  };

  const alloc = (rows: number): EncodedRows =>
    dense ? { kind: 'dense', rows, width, data: new Float32Array(rows * width) } : { kind: 'string', rows, width: 1, data: new Array<string>(rows) };

  return {
    tensorName: ext.name,
    encoding: ext.encoding,
    width,
    order: ext.order,
    encodeOne(row) {
      const out = alloc(1);
      const errs: ErrorDetail[] = [];
      encodeInto(row, out.data, 0, '', errs);
      if (errs.length) throw schemaError(errs);
      return out;
    },
    encodeMany(rows) {
      const out = alloc(rows.length);
      const errs: ErrorDetail[] = [];
      for (let i = 0; i < rows.length; i++) encodeInto(rows[i], out.data, i, `instances[${i}].`, errs);
      if (errs.length) throw schemaError(errs);
      return out;
    },
  };
}

export function schemaError(details: ErrorDetail[] = NO_DETAILS): AppError {
  const n = details.length;
  return new AppError('SCHEMA_VALIDATION_ERROR', n === 1 ? `Input schema validation failed: ${details[0].field} ${details[0].message}` : `Input schema validation failed for ${n} fields`, details);
}

function compileField(name: string, prop: PropertySchema, required: boolean, dense: boolean): Field {
  const kind: Kind = prop.type === 'string' && dense ? 'onehot' : prop.type;
  const f: Field = {
    name,
    kind,
    offset: 0,
    width: 1,
    required,
    hasDefault: prop.default !== undefined,
    default: prop.default,
    min: Number.NEGATIVE_INFINITY,
    max: Number.POSITIVE_INFINITY,
    exclusiveMin: false,
    exclusiveMax: false,
    rangeMessage: '',
  };
  if (prop.minimum !== undefined) f.min = prop.minimum;
  if (prop.exclusiveMinimum !== undefined && prop.exclusiveMinimum >= f.min) {
    f.min = prop.exclusiveMinimum;
    f.exclusiveMin = true;
  }
  if (prop.maximum !== undefined) f.max = prop.maximum;
  if (prop.exclusiveMaximum !== undefined && prop.exclusiveMaximum <= f.max) {
    f.max = prop.exclusiveMaximum;
    f.exclusiveMax = true;
  }
  f.rangeMessage = rangeText(f);
  if (prop.enum) {
    f.enumIndex = new Map(prop.enum.map((e, i) => [e, i]));
    f.enumMessage = `must be one of ${prop.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  }
  if (kind === 'onehot') f.width = prop.enum!.length;
  if (kind === 'string') {
    f.minLength = prop.minLength;
    f.maxLength = prop.maxLength;
  }
  if (kind === 'array') {
    f.minLength = prop.minItems;
    f.maxLength = prop.maxItems;
    f.item = compileField(`${name}[]`, prop.items!, true, false);
    if (dense) f.width = prop.minItems!;
  }
  if (f.hasDefault) {
    // A default that itself breaks the rules would encode garbage silently: refuse the schema.
    const errs: ErrorDetail[] = [];
    checkScalar(f, f.default, `inputSchema.properties.${name}.default`, errs);
    if (errs.length) throw new FeatureSchemaError(errs.map((e) => `${e.field}: ${e.message}`));
  }
  return f;
}

function rangeText(f: Field): string {
  const lo = f.min === Number.NEGATIVE_INFINITY ? '' : `${f.exclusiveMin ? '>' : '>='} ${f.min}`;
  const hi = f.max === Number.POSITIVE_INFINITY ? '' : `${f.exclusiveMax ? '<' : '<='} ${f.max}`;
  return `must be ${lo}${lo && hi ? ' and ' : ''}${hi}`;
}

const TYPE_MESSAGE: Record<Kind, string> = {
  number: 'must be a number',
  integer: 'must be an integer',
  boolean: 'must be a boolean',
  onehot: 'must be a string',
  string: 'must be a string',
  array: 'must be an array',
};

function inRange(f: Field, n: number): boolean {
  return (f.exclusiveMin ? n > f.min : n >= f.min) && (f.exclusiveMax ? n < f.max : n <= f.max);
}

/** Validates a number-like value; returns it, or NaN after recording an error. */
function checkNumber(f: Field, v: unknown, field: string, errs: ErrorDetail[]): number {
  if (typeof v !== 'number') {
    errs.push({ field, message: f.kind === 'integer' ? TYPE_MESSAGE.integer : TYPE_MESSAGE.number });
    return Number.NaN;
  }
  if (!Number.isFinite(v)) {
    errs.push({ field, message: 'must be a finite number' });
    return Number.NaN;
  }
  if (f.kind === 'integer' && !Number.isInteger(v)) {
    errs.push({ field, message: TYPE_MESSAGE.integer });
    return Number.NaN;
  }
  if (!inRange(f, v)) {
    errs.push({ field, message: f.rangeMessage });
    return Number.NaN;
  }
  if (f.enumIndex && !f.enumIndex.has(v)) {
    errs.push({ field, message: f.enumMessage! });
    return Number.NaN;
  }
  return v;
}

/**
 * Validates a value of any kind without encoding it (string tensors and non-encoded
 * properties). Returns the value to use (the default when absent), or undefined.
 */
function checkScalar(f: Field, v: unknown, field: string, errs: ErrorDetail[]): unknown {
  if (v === undefined) {
    if (f.required) errs.push({ field, message: 'is required' });
    return f.default;
  }
  switch (f.kind) {
    case 'number':
    case 'integer':
      checkNumber(f, v, field, errs);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') errs.push({ field, message: TYPE_MESSAGE.boolean });
      return v;
    case 'string':
    case 'onehot':
      if (typeof v !== 'string') errs.push({ field, message: TYPE_MESSAGE.string });
      else if (f.enumIndex && !f.enumIndex.has(v)) errs.push({ field, message: f.enumMessage! });
      else if (f.minLength !== undefined && v.length < f.minLength) errs.push({ field, message: `must be at least ${f.minLength} characters` });
      else if (f.maxLength !== undefined && v.length > f.maxLength) errs.push({ field, message: `must be at most ${f.maxLength} characters` });
      return v;
    case 'array':
      if (!Array.isArray(v)) errs.push({ field, message: TYPE_MESSAGE.array });
      else if (!checkArrayLength(f, v, field, errs)) for (let i = 0; i < v.length; i++) checkScalar(f.item!, v[i], `${field}[${i}]`, errs);
      return v;
  }
}

function checkArrayLength(f: Field, v: unknown[], field: string, errs: ErrorDetail[]): boolean {
  if (f.minLength !== undefined && f.minLength === f.maxLength && v.length !== f.minLength) {
    errs.push({ field, message: `must have exactly ${f.minLength} items` });
    return true;
  }
  if (f.minLength !== undefined && v.length < f.minLength) {
    errs.push({ field, message: `must have at least ${f.minLength} items` });
    return true;
  }
  if (f.maxLength !== undefined && v.length > f.maxLength) {
    errs.push({ field, message: `must have at most ${f.maxLength} items` });
    return true;
  }
  return false;
}

/** Validates one field and writes its columns at `at`. */
function writeDense(f: Field, v: unknown, dst: Float32Array, at: number, prefix: string, errs: ErrorDetail[]): void {
  if (v === undefined) {
    if (f.required) {
      errs.push({ field: prefix + f.name, message: 'is required' });
      return;
    }
    if (!f.hasDefault) return; // zeros: the typed array starts zeroed
    v = f.default;
  }
  switch (f.kind) {
    case 'number':
    case 'integer': {
      const n = checkNumber(f, v, prefix + f.name, errs);
      dst[at] = n;
      return;
    }
    case 'boolean':
      if (v === true) dst[at] = 1;
      else if (v !== false) errs.push({ field: prefix + f.name, message: TYPE_MESSAGE.boolean });
      return;
    case 'onehot': {
      if (typeof v !== 'string') {
        errs.push({ field: prefix + f.name, message: TYPE_MESSAGE.string });
        return;
      }
      const idx = f.enumIndex!.get(v);
      if (idx === undefined) errs.push({ field: prefix + f.name, message: f.enumMessage! });
      else dst[at + idx] = 1;
      return;
    }
    case 'array': {
      const field = prefix + f.name;
      if (!Array.isArray(v)) {
        errs.push({ field, message: TYPE_MESSAGE.array });
        return;
      }
      if (checkArrayLength(f, v, field, errs)) return;
      const item = f.item!;
      for (let i = 0; i < v.length; i++) {
        const x = v[i] as unknown;
        // Fast path: a plain in-range number needs no bookkeeping.
        if (typeof x === 'number' && Number.isFinite(x) && inRange(item, x) && (item.kind !== 'integer' || Number.isInteger(x)) && !item.enumIndex) dst[at + i] = x;
        else checkNumber(item, x, `${field}[${i}]`, errs);
      }
      return;
    }
    case 'string':
      return;
  }
}
