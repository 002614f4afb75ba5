/**
 * The CDK app of the one-time access stack (`npm run deploy:ci-access -- -c githubRepo=owner/name`),
 * apart from the Taskboard app so that a deploy role never deploys the access that grants it.
 * cdk-nag's AwsSolutions pack checks it as it checks the main stack.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  type CiAccessSettings,
  CiAccessSettingsError,
  CiAccessStack,
  readCiAccessSettings,
} from './ci-access-stack.ts';

const app = new App();
let settings: CiAccessSettings;
try {
  settings = readCiAccessSettings((key) => app.node.tryGetContext(key));
} catch (error) {
  if (!(error instanceof CiAccessSettingsError)) throw error;
  console.error(`${error.message}, e.g. npm run deploy:ci-access -- -c githubRepo=owner/name`);
  process.exit(1);
}
new CiAccessStack(app, app.node.tryGetContext('ciAccessStackName') ?? 'TaskboardCiAccess', settings, {
  description: `GitHub Actions OIDC deploy roles for ${settings.githubRepo}`,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
