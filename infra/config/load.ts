import { z } from 'zod';

/** Thrown when the environment does not satisfy a process's config schema. */
export class ConfigError extends Error {
  constructor(readonly variable: string, readonly expected: string) {
    super(`Invalid configuration: ${variable} ${expected}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates `env` against a zod object schema whose keys are environment variable names,
 * and returns the parsed values frozen. The first problem becomes a ConfigError naming the
 * variable and what was expected, so a process can stop with one clear line.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): Readonly<z.infer<S>> {
  // Empty strings count as unset, so `FOO= node app` falls back to the default.
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = String(issue.path[0] ?? '(environment)');
    throw new ConfigError(variable, describeIssue(issue, cleaned[variable]));
  }
  return Object.freeze(result.data);
}

function describeIssue(issue: z.core.$ZodIssue, value: string | undefined): string {
  if (value === undefined) return `is required: ${issue.message}`;
  return `has invalid value ${JSON.stringify(value)}: ${issue.message}`;
}

/** Loads config for a process entry point; on error prints one line and exits with 78 (EX_CONFIG). */
export function loadConfigOrExit<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): Readonly<z.infer<S>> {
  return orExitOnConfigError(() => parseEnv(schema, env));
}

/** Runs a start-up config step; a ConfigError prints one line and exits with 78 (EX_CONFIG). */
export function orExitOnConfigError<T>(step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
}

// Reusable field builders, so every variable reads the same way in every process.
export const port = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);
export const positiveInt = (def: number) => z.coerce.number().int().positive().default(def);
export const bool = (def: boolean) =>
  z.enum(['true', 'false', '1', '0']).default(def ? 'true' : 'false').transform((v) => v === 'true' || v === '1');
export const url = () => z.url({ message: 'expected a URL such as http://host:port' });
export const logLevel = () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
