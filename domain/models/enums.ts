/** Enumerations of DOMAIN_MODELS.md, as string unions (readable in documents and logs). */
export const MODEL_FRAMEWORKS = ['TensorFlow', 'PyTorch', 'ScikitLearn', 'ONNX', 'XGBoost', 'LightGBM', 'Custom'] as const;
export type ModelFramework = (typeof MODEL_FRAMEWORKS)[number];

export const MODEL_TYPES = ['Classification', 'Regression', 'Clustering', 'Recommendation', 'NaturalLanguageProcessing', 'ComputerVision', 'TimeSeries', 'Other'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export const VERSION_STATUSES = ['Registered', 'Validating', 'Validated', 'Approved', 'Deployed', 'Deprecated', 'Archived'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];
