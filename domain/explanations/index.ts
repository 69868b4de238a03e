export * from './kernel-shap';
export * from './explanation-rows';
export * from './explained-output';
export * from './shap-explanation';
