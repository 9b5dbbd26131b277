/**
 * The WebSocket API exactly as template.yaml declares it (AWS::ApiGatewayV2::Api, Route, Integration,
 * Authorizer): route keys, the route selection expression and what answers each route, a function
 * (AWS_PROXY) or API Gateway itself (MOCK). This is the only routing table the local gateway has.
 */
import type { CfnResource, CfnTemplate, CfnValue } from './cfn-yaml';
import { functionForIntegrationUri, type FunctionSpec } from './functions';
import { resolvedString, type TemplateResolver } from './intrinsics';

/**
 * What answers a route: a Lambda function (AWS_PROXY), or API Gateway itself (MOCK), which invokes
 * nothing and ends the request with the status its request template yields.
 */
export type WebSocketIntegration = { kind: 'lambda'; function: FunctionSpec } | { kind: 'mock'; statusCode: number };

export interface WebSocketRoute {
  routeKey: string;
  integration: WebSocketIntegration;
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

/** A selection expression's static value: `\$default` (an escaped `$`) selects the reserved `$default` key. */
function staticSelection(expression: string): string | undefined {
  if (expression.startsWith('\\$')) return expression.slice(1);
  return expression.includes('$') ? undefined : expression;
}

/**
 * The status a MOCK integration answers with: the `statusCode` of the request template its
 * TemplateSelectionExpression selects. Only a static expression and a template without VTL are
 * emulated; anything else fails at start-up instead of answering differently from API Gateway.
 */
function mockStatusCode(integrationId: string, properties: Record<string, CfnValue>, resolver: TemplateResolver): number {
  const unsupported = (why: string) => new Error(`template.yaml: ${integrationId} (MOCK): ${why}`);
  const expression = properties.TemplateSelectionExpression;
  const key = typeof expression === 'string' ? staticSelection(expression) : undefined;
  if (key === undefined) throw unsupported('the local runtime needs a static TemplateSelectionExpression (e.g. "\\$default")');
  const templates = resolver.resolve(properties.RequestTemplates);
  const template = templates !== null && typeof templates === 'object' && !Array.isArray(templates) ? templates[key] : undefined;
  if (typeof template !== 'string') throw unsupported(`TemplateSelectionExpression selects "${key}", which RequestTemplates lacks`);
  let statusCode: unknown;
  try {
    statusCode = (JSON.parse(template) as { statusCode?: unknown }).statusCode;
  } catch {
    throw unsupported(`the request template "${key}" is not plain JSON (VTL is not emulated locally)`);
  }
  if (!Number.isInteger(statusCode)) throw unsupported(`the request template "${key}" must yield an integer statusCode`);
  return statusCode as number;
}

function readIntegration(
  integrationId: string,
  integration: CfnResource,
  resolver: TemplateResolver,
  functions: Map<string, FunctionSpec>,
): WebSocketIntegration {
  const properties = integration.Properties ?? {};
  const type = resolver.string(properties.IntegrationType, `${integrationId}.IntegrationType`);
  if (type === 'MOCK') return { kind: 'mock', statusCode: mockStatusCode(integrationId, properties, resolver) };
  if (type === 'AWS_PROXY') {
    return {
      kind: 'lambda',
      function: functionForIntegrationUri(resolver.string(properties.IntegrationUri, `${integrationId}.IntegrationUri`), functions),
    };
  }
  throw new Error(`template.yaml: ${integrationId}: IntegrationType ${type} is not emulated locally (AWS_PROXY and MOCK are)`);
}

export function readWebSocketApi(template: CfnTemplate, resolver: TemplateResolver, functions: Map<string, FunctionSpec>): WebSocketApiSpec {
  const apis = ofType(template, 'AWS::ApiGatewayV2::Api').filter(([, r]) => r.Properties?.ProtocolType === 'WEBSOCKET');
  if (apis.length !== 1) throw new Error(`template.yaml: expected one WEBSOCKET AWS::ApiGatewayV2::Api, found ${apis.length}`);
  const [[apiLogicalId, api]] = apis as [[string, CfnResource]];
  const apiId = resolvedString(resolver.resolve({ Ref: apiLogicalId }), `Ref ${apiLogicalId}`);

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
    const routeIntegration = readIntegration(integrationId, integration, resolver, functions);
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
    const { RouteResponseSelectionExpression: selection } = props;
    const responseExpression = typeof selection === 'string' ? selection : undefined;
    if (routeIntegration.kind === 'mock' && responseExpression !== undefined) {
      throw new Error(`template.yaml: ${routeId}: a route response on a MOCK integration is not emulated locally`);
    }
    routes.set(routeKey, { routeKey, integration: routeIntegration, authorizer, routeResponseSelectionExpression: responseExpression });
  }

  const stage = ofType(template, 'AWS::ApiGatewayV2::Stage').find(([, r]) => belongsTo(resolver, r, apiId));
  return {
    logicalId: apiLogicalId,
    routeSelectionExpression: resolver.string(api.Properties?.RouteSelectionExpression, `${apiLogicalId}.RouteSelectionExpression`),
    routes,
    stageName: stage ? resolver.string(stage[1].Properties?.StageName, 'Stage.StageName') : undefined,
  };
}
