/**
 * The REST API as template.yaml declares it: every `Type: Api` event of every function (Path, Method),
 * the API's authorizer (Cognito user pool: which header carries the token), CORS and the headers of
 * API Gateway's own 4XX/5XX responses.
 */
import type { CfnTemplate, CfnValue } from './cfn-yaml';
import type { FunctionSpec } from './functions';
import { resolvedString, type Resolved, type TemplateResolver } from './intrinsics';

export interface RestRoute {
  /** As declared, e.g. /presence/{userId}. */
  path: string;
  /** Upper case; ANY matches every method. */
  method: string;
  function: FunctionSpec;
  /** Header holding the Cognito token, or undefined when the route is not authorized. */
  authHeader?: string;
}

export interface CorsSpec {
  allowOrigin: string;
  allowHeaders?: string;
  allowMethods?: string;
  maxAge?: string;
}

export interface RestApiSpec {
  routes: RestRoute[];
  cors?: CorsSpec;
  /** Headers API Gateway adds to the responses it produces itself (authorizer 401, missing route 403). */
  gatewayResponseHeaders: { '4XX': Record<string, string>; '5XX': Record<string, string> };
}

type Json = Record<string, Resolved>;

function record(value: Resolved | undefined): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

/** API Gateway header values in SAM are quoted literals: "'*'" -> "*". */
function unquote(value: Resolved | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  return resolvedString(value, 'a header value').replace(/^'(.*)'$/, '$1');
}

function readCors(cors: Resolved | undefined): CorsSpec | undefined {
  if (cors === undefined || cors === null) return undefined;
  if (typeof cors === 'string') return { allowOrigin: unquote(cors) ?? '*' };
  const spec = record(cors);
  return {
    allowOrigin: unquote(spec.AllowOrigin) ?? '*',
    allowHeaders: unquote(spec.AllowHeaders),
    allowMethods: unquote(spec.AllowMethods),
    maxAge: unquote(spec.MaxAge),
  };
}

function responseHeaders(gatewayResponses: Json, name: string): Record<string, string> {
  const headers = record(record(record(gatewayResponses[name]).ResponseParameters).Headers);
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, unquote(value) ?? '']));
}

function authHeaderFor(api: Json, eventAuth: Json, routeName: string): string | undefined {
  const auth = record(api.Auth);
  const authorizerName = eventAuth.Authorizer ?? auth.DefaultAuthorizer;
  if (authorizerName === undefined || authorizerName === null) return undefined;
  const name = resolvedString(authorizerName, `${routeName} authorizer`);
  if (name === 'NONE' || name === 'AWS_IAM') return undefined;
  const authorizer = record(record(auth.Authorizers)[name]);
  if (!('UserPoolArn' in authorizer)) {
    throw new Error(`template.yaml: ${routeName} uses authorizer ${name}; the local runtime emulates Cognito user pool authorizers only`);
  }
  const header = record(authorizer.Identity).Header;
  return typeof header === 'string' ? header : 'Authorization';
}

export function readRestApi(template: CfnTemplate, resolver: TemplateResolver, functions: Map<string, FunctionSpec>): RestApiSpec {
  const routes: RestRoute[] = [];
  let api: Json = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const events = (resource.Properties?.Events ?? {}) as Record<string, { Type?: string; Properties?: Record<string, CfnValue> }>;
    for (const [eventName, event] of Object.entries(events)) {
      if (event.Type !== 'Api') continue;
      const props = record(resolver.resolve(event.Properties ?? {}));
      const apiId = props.RestApiId;
      const apiResource = typeof apiId === 'string' ? template.Resources[apiId] : undefined;
      api = record(resolver.resolve(apiResource?.Properties ?? template.Globals?.Api ?? {}));
      routes.push({
        path: resolvedString(props.Path, `${logicalId}.Events.${eventName}.Path`),
        method: resolvedString(props.Method, `${logicalId}.Events.${eventName}.Method`).toUpperCase(),
        function: functions.get(logicalId)!,
        authHeader: authHeaderFor(api, record(props.Auth), `${logicalId}.Events.${eventName}`),
      });
    }
  }
  const gatewayResponses = record(api.GatewayResponses);
  return {
    routes,
    cors: readCors(api.Cors),
    gatewayResponseHeaders: { '4XX': responseHeaders(gatewayResponses, 'DEFAULT_4XX'), '5XX': responseHeaders(gatewayResponses, 'DEFAULT_5XX') },
  };
}
