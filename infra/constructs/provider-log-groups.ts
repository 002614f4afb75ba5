import { CfnResource, type IAspect, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

/**
 * Gives the functions CDK creates for its own custom resources (the trigger provider, the default
 * security group restriction) a log group with retention. They are raw `AWS::Lambda::Function`
 * resources without a log-group setting, so Lambda would create `/aws/lambda/<name>` kept forever;
 * this points their `LoggingConfig` at a log group created next to them.
 */
export class ProviderLogGroups implements IAspect {
  constructor(private readonly retention: logs.RetentionDays) {}

  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || node.cfnResourceType !== 'AWS::Lambda::Function') return;
    // Functions built with the Function construct set their log group themselves (see HouseFunction).
    if (node instanceof lambda.CfnFunction) return;
    const scope = node.node.scope;
    if (!scope || scope.node.tryFindChild('Logs')) return;
    const logGroup = new logs.LogGroup(scope, 'Logs', {
      retention: this.retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    node.addPropertyOverride('LoggingConfig.LogGroup', logGroup.logGroupName);
  }
}
