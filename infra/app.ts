/**
 * The CDK app (`npm run synth`, `npm run deploy`): one environment-agnostic stack, so that synth
 * needs no AWS credentials and no lookups; the account and region come from the deploying profile.
 * cdk-nag's AwsSolutions pack checks every resource as a validation plugin: an unacknowledged finding
 * fails the synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TaskboardStack } from './taskboard-stack.ts';

const app = new App();
const stackName = app.node.tryGetContext('stackName') ?? 'Taskboard';
new TaskboardStack(app, stackName);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
