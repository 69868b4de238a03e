/** What a version costs a model server in memory, before it is loaded and measured. */

/** Floor of an estimate: a session's runtime structures, whatever the size of the file. */
const MIN_ESTIMATE_BYTES = 8 * 1024 * 1024;
/** A session holds the weights once more besides the file's bytes: twice the artifact is the estimate until the server measures it. */
const ARTIFACT_FACTOR = 2;

/**
 * The largest of: the version's declared baseline (`baseline.memoryUsageBytes`, which registrants
 * often fill with the file's size), twice its artifact, and 8 MiB.
 * Example: estimateVersionBytes({ artifactSizeBytes: 50 * 2 ** 20 }) === 100 * 2 ** 20.
 */
export function estimateVersionBytes(v: { artifactSizeBytes: number; baseline?: { memoryUsageBytes?: number } }): number {
  return Math.max(MIN_ESTIMATE_BYTES, Math.ceil(v.artifactSizeBytes * ARTIFACT_FACTOR), v.baseline?.memoryUsageBytes ?? 0);
}
