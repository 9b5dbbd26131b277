/**
 * The WebSocket API exactly as template.yaml declares it (AWS::ApiGatewayV2::Api, Route, Integration,
 * Authorizer): route keys, the route selection expression and the function behind each route. This is
 * the only routing table the local gateway has.
 */
import type { CfnResource, CfnTemplate } from './cfn-yaml';
import { functionForIntegrationUri, type FunctionSpec } from './functions';
import type { TemplateResolver } from './intrinsics';

export interface WebSocketRoute {
  routeKey: string;
  function: FunctionSpec;
  /** A REQUEST authorizer's function ($connect with AuthorizationType CUSTOM). */
  authorizer?: FunctionSpec;
  /** When set, the integration's response body is sent back to the client (two-way route). */
  routeResponseSelectionExpression?: string;
}

export interface WebSocketApiSpec {
  logicalId: string;
  routeSelectionExpression: string;
  routes: Map<string, WebSocketRoute>;
  stageName?: string;
}

function ofType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function belongsTo(resolver: TemplateResolver, resource: CfnResource, apiId: string): boolean {
  return resolver.resolve(resource.Properties?.ApiId) === apiId;
}

export function readWebSocketApi(template: CfnTemplate, resolver: TemplateResolver, functions: Map<string, FunctionSpec>): WebSocketApiSpec {
  const apis = ofType(template, 'AWS::ApiGatewayV2::Api').filter(([, r]) => r.Properties?.ProtocolType === 'WEBSOCKET');
  if (apis.length !== 1) throw new Error(`template.yaml: expected one WEBSOCKET AWS::ApiGatewayV2::Api, found ${apis.length}`);
  const [[apiLogicalId, api]] = apis as [[string, CfnResource]];
  const apiId = String(resolver.resolve({ Ref: apiLogicalId }));

  const routes = new Map<string, WebSocketRoute>();
  for (const [routeId, route] of ofType(template, 'AWS::ApiGatewayV2::Route')) {
    if (!belongsTo(resolver, route, apiId)) continue;
    const props = route.Properties ?? {};
    const routeKey = resolver.string(props.RouteKey, `${routeId}.RouteKey`);
    const target = resolver.string(props.Target, `${routeId}.Target`);
    const integrationId = target.replace(/^integrations\//, '');
    const integration = template.Resources[integrationId];
    if (!integration || integration.Type !== 'AWS::ApiGatewayV2::Integration') {
      throw new Error(`template.yaml: ${routeId}.Target does not name an AWS::ApiGatewayV2::Integration`);
    }
    const fn = functionForIntegrationUri(resolver.string(integration.Properties?.IntegrationUri, `${integrationId}.IntegrationUri`), functions);
    let authorizer: FunctionSpec | undefined;
    if (props.AuthorizationType === 'CUSTOM') {
      const authorizerId = resolver.string(props.AuthorizerId, `${routeId}.AuthorizerId`);
      const authorizerResource = template.Resources[authorizerId];
      if (!authorizerResource || authorizerResource.Type !== 'AWS::ApiGatewayV2::Authorizer') {
        throw new Error(`template.yaml: ${routeId}.AuthorizerId does not name an AWS::ApiGatewayV2::Authorizer`);
      }
      authorizer = functionForIntegrationUri(
        resolver.string(authorizerResource.Properties?.AuthorizerUri, `${authorizerId}.AuthorizerUri`),
        functions,
      );
    }
    const responseExpression = props.RouteResponseSelectionExpression;
    routes.set(routeKey, {
      routeKey,
      function: fn,
      authorizer,
      routeResponseSelectionExpression: typeof responseExpression === 'string' ? responseExpression : undefined,
    });
  }

  const stage = ofType(template, 'AWS::ApiGatewayV2::Stage').find(([, r]) => belongsTo(resolver, r, apiId));
  return {
    logicalId: apiLogicalId,
    routeSelectionExpression: resolver.string(api.Properties?.RouteSelectionExpression, `${apiLogicalId}.RouteSelectionExpression`),
    routes,
    stageName: stage ? resolver.string(stage[1].Properties?.StageName, 'Stage.StageName') : undefined,
  };
}
