export * from './types';
export { FeatureSchemaError, assertInputSchema, assertOutputSchema } from './schema-problems';
export { compileFeatureEncoder, schemaError, type FeatureEncoder } from './preprocess';
export { compileOutputDecoder, OutputDecodeError, type OutputDecoder } from './postprocess';
export { sampleRows } from './sample-rows';
export { featureSchemaProblems, schemaGraphProblems } from './graph-compatibility';
export { proposeFeatureSchema, type SchemaProposal } from './propose-schema';
