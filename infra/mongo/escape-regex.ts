/** Escapes text for use inside a `$regex` (matches it literally). Example: `a.b|c` → `a\.b\|c`. */
export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
