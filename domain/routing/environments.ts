/** Deployment environments (DOMAIN_MODELS "Deployment.Environment"); each has its own routing table. */
export const ENVIRONMENTS = ['Development', 'Staging', 'Production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Inference goes to Production unless the caller names another environment. */
export const DEFAULT_ENVIRONMENT: Environment = 'Production';

/**
 * The environment a caller named, case-insensitively; undefined when it is not one of ours.
 * Example: normalizeEnvironment('staging') === 'Staging'; normalizeEnvironment('qa') === undefined.
 */
export function normalizeEnvironment(name: string): Environment | undefined {
  const lower = name.toLowerCase();
  return ENVIRONMENTS.find((e) => e.toLowerCase() === lower);
}
