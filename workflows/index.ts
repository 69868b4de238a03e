// The workflows the worker registers (workflowsPath: require.resolve('../workflows')).
export { canaryDeployment } from './strategies/canary-deployment';
export { blueGreenDeployment } from './strategies/blue-green-deployment';
export { abTestDeployment } from './strategies/ab-test-deployment';
export { shadowDeployment } from './strategies/shadow-deployment';
export { rollingDeployment } from './strategies/rolling-deployment';
export { rollbackDeployment } from './rollback-deployment';
export { deliverNotification } from './deliver-notification';
