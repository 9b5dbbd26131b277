/** The local runtime's pure parts: reading template.yaml, route selection, path matching, authorizer policies. */
import { compilePath } from '../../local/rest/path-match';
import { rateToMs } from '../../local/sweep/schedule';
import { readStack } from '../../template';
import type { CfnTemplate, CfnValue } from '../../template/cfn-yaml';
import { TemplateResolver } from '../../template/intrinsics';
import { readWebSocketApi, type WebSocketIntegration } from '../../template/websocket-api';
import { evaluateAuthorizerResult, authorizerFailure } from '../../local/websocket/authorizer-policy';
import { compileRouteSelection, selectRoute } from '../../local/websocket/route-selection';

const PARAMETERS = { StageName: 'local', CognitoUserPoolId: 'us-east-1_local', CognitoClientIds: ['client'] };

describe('readStack (template.yaml is the only routing table)', () => {
  const stack = readStack(PARAMETERS);

  it('maps every WebSocket route key to its function (or MOCK) and the $connect authorizer', () => {
    const answeredBy = (integration: WebSocketIntegration) => (integration.kind === 'lambda' ? integration.function.logicalId : integration);
    const routes = Object.fromEntries([...stack.websocket.routes].map(([key, route]) => [key, answeredBy(route.integration)]));
    expect(routes).toEqual({
      $connect: 'ConnectFunction',
      $disconnect: 'DisconnectFunction',
      heartbeat: 'HeartbeatFunction',
      'update-presence': 'UpdatePresenceFunction',
      subscribe: 'SubscribeFunction',
      keepalive: { kind: 'mock', statusCode: 200 },
      $default: 'DefaultFunction',
    });
    expect(stack.websocket.routes.get('keepalive')?.routeResponseSelectionExpression).toBeUndefined();
    expect(stack.websocket.routes.get('$connect')?.authorizer?.logicalId).toBe('AuthorizerFunction');
    expect(stack.websocket.routeSelectionExpression).toBe('$request.body.action');
  });

  it('reads the REST routes with their Cognito-protected header and CORS', () => {
    expect(stack.rest.routes.map((route) => [route.method, route.path, route.function.logicalId, route.authHeader])).toEqual([
      ['GET', '/presence', 'GetPresenceFunction', 'Authorization'],
      ['GET', '/presence/{userId}', 'GetUserPresenceFunction', 'Authorization'],
    ]);
    expect(stack.rest.cors?.allowOrigin).toBe('*');
    expect(stack.rest.gatewayResponseHeaders['4XX']['Access-Control-Allow-Origin']).toBe('*');
  });

  it('loads handlers from the esbuild entry points and keeps AWS infrastructure out of the environment', () => {
    expect(stack.functions.get('ConnectFunction')?.entryFile).toMatch(/handlers\/connect\.ts$/);
    expect(stack.environment.values).not.toHaveProperty('REDIS_HOST');
    expect(stack.environment.values).not.toHaveProperty('COGNITO_USER_POOL_ID');
    expect(stack.environment.values).not.toHaveProperty('NODE_EXTRA_CA_CERTS'); // /var/runtime exists only on Lambda
    expect(stack.environment.values.JWT_CLIENT_IDS).toBe('client');
  });

  it('substitutes the state machine definition with local function ARNs and reads its schedule', () => {
    const [machine] = stack.stateMachines;
    expect(machine?.scheduleExpression).toMatch(/^rate\(/);
    expect(JSON.stringify(machine?.definition)).toContain(stack.functions.get('SweepShardFunction')!.arn);
    expect(JSON.stringify(machine?.definition)).not.toMatch(/\$\{\w+\}/);
  });
});

describe('MOCK integrations (API Gateway answers the route itself)', () => {
  /** A WebSocket API with one route, `ping`, on the integration given. */
  function apiWith(integration: Record<string, CfnValue>, route: Record<string, CfnValue> = {}): CfnTemplate {
    return {
      Resources: {
        Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' } },
        PingRoute: {
          Type: 'AWS::ApiGatewayV2::Route',
          Properties: { ApiId: { Ref: 'Api' }, RouteKey: 'ping', Target: { 'Fn::Sub': 'integrations/${PingIntegration}' }, ...route },
        },
        PingIntegration: { Type: 'AWS::ApiGatewayV2::Integration', Properties: { ApiId: { Ref: 'Api' }, ...integration } },
      },
    };
  }
  const read = (template: CfnTemplate) => readWebSocketApi(template, new TemplateResolver(template), new Map()).routes.get('ping');
  const MOCK = { IntegrationType: 'MOCK', TemplateSelectionExpression: '\\$default', RequestTemplates: { $default: '{"statusCode": 200}' } };

  it('reads the status its request template gives, with no function and no route response', () => {
    expect(read(apiWith(MOCK))).toEqual({ routeKey: 'ping', integration: { kind: 'mock', statusCode: 200 } });
    const literal = { ...MOCK, TemplateSelectionExpression: 'json', RequestTemplates: { json: '{ "statusCode": 204 }' } };
    expect(read(apiWith(literal))?.integration).toEqual({ kind: 'mock', statusCode: 204 });
  });

  it.each([
    ['a template chosen per message', { ...MOCK, TemplateSelectionExpression: '${request.body.action}' }, /static TemplateSelectionExpression/],
    ['no selection expression', { IntegrationType: 'MOCK', RequestTemplates: MOCK.RequestTemplates }, /static TemplateSelectionExpression/],
    ['no template under the selected key', { ...MOCK, RequestTemplates: { other: '{"statusCode": 200}' } }, /RequestTemplates lacks/],
    ['a VTL template', { ...MOCK, RequestTemplates: { $default: '#set($x = 1){"statusCode": 200}' } }, /not plain JSON/],
    ['no integer statusCode', { ...MOCK, RequestTemplates: { $default: '{"statusCode": "200"}' } }, /integer statusCode/],
    ['an integration type not emulated', { IntegrationType: 'HTTP_PROXY', IntegrationUri: 'https://example.com' }, /HTTP_PROXY is not emulated/],
  ])('refuses at start-up %s', (_, integration, message) => {
    expect(() => read(apiWith(integration))).toThrow(message);
  });

  it('refuses a route response on a MOCK route rather than answering differently from API Gateway', () => {
    expect(() => read(apiWith(MOCK, { RouteResponseSelectionExpression: '$default' }))).toThrow(
      'template.yaml: PingRoute: a route response on a MOCK integration is not emulated locally',
    );
  });
});

describe('template values where a string belongs', () => {
  const template: CfnTemplate = {
    Parameters: { Names: { Type: 'CommaDelimitedList', Default: 'a,b' }, Odd: { Type: 'String', Default: { Nested: 'x' } } },
    Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
  };
  const resolver = new TemplateResolver(template);

  it('reads numbers and booleans as their text', () => {
    expect(resolver.resolve({ 'Fn::Sub': ['${A}-${B}', { A: 1, B: true }] })).toBe('1-true');
  });

  it.each([
    ['a Fn::Sub variable that is a list', { 'Fn::Sub': ['x-${Names}', { Names: { Ref: 'Names' } }] }, 'Fn::Sub variable Names must resolve to a string'],
    ['a Ref to a mapping', { Ref: { Nested: 'x' } }, 'Ref must resolve to a string'],
    ['a parameter whose Default is a mapping', { Ref: 'Odd' }, 'parameter Odd Default must resolve to a string'],
  ])('refuses %s rather than reading "[object Object]" or "a,b"', (_, value, message) => {
    expect(() => resolver.resolve(value)).toThrow(`template.yaml: ${message}`);
  });
});

describe('route selection', () => {
  const select = compileRouteSelection('$request.body.action');
  const routes = new Map([['heartbeat', 1], ['keepalive', 1], ['$default', 1], ['$connect', 1]]);

  it.each([
    ['{"action":"heartbeat"}', 'heartbeat'],
    ['{"action":"keepalive"}', 'keepalive'],
    ['{"action":"nope"}', '$default'],
    ['{"action":"$connect"}', '$default'],
    ['not json', '$default'],
    ['[1,2]', '$default'],
    ['{"action":{"x":1}}', '$default'],
  ])('%s -> %s', (body, route) => {
    expect(selectRoute(select(body), routes)).toBe(route);
  });

  it('has nowhere to go without $default', () => {
    expect(selectRoute(select('{"action":"nope"}'), new Map([['heartbeat', 1]]))).toBeUndefined();
  });
});

describe('REST path matching', () => {
  it('matches path parameters and nothing else', () => {
    const match = compilePath('/presence/{userId}');
    expect(match('/presence/alice')).toEqual({ userId: 'alice' });
    expect(match('/presence/a%40b')).toEqual({ userId: 'a%40b' });
    expect(match('/presence')).toBeUndefined();
    expect(match('/presence/a/b')).toBeUndefined();
    expect(compilePath('/files/{proxy+}')('/files/a/b')).toEqual({ proxy: 'a/b' });
  });
});

describe('schedule expressions', () => {
  it('turns rates into milliseconds and leaves cron to the caller', () => {
    expect(rateToMs('rate(1 minute)')).toBe(60_000);
    expect(rateToMs('rate(5 minutes)')).toBe(300_000);
    expect(rateToMs('rate(2 hours)')).toBe(7_200_000);
    expect(rateToMs('cron(0 * * * ? *)')).toBeUndefined();
  });
});

describe('REQUEST authorizer answers', () => {
  const arn = 'arn:aws:execute-api:us-east-1:000000000000:api/local/$connect';
  const policy = (effect: string, resource = arn) => ({
    principalId: 'alice',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    context: { userId: 'alice' },
  });

  it('allows with the context and principalId, denies with 403, fails malformed answers with 500', () => {
    expect(evaluateAuthorizerResult(policy('Allow'), arn)).toEqual({
      allowed: true,
      authorizer: { userId: 'alice', principalId: 'alice', integrationLatency: 0 },
    });
    expect(evaluateAuthorizerResult(policy('Allow', 'arn:aws:execute-api:us-east-1:000000000000:api/*'), arn).allowed).toBe(true);
    expect(evaluateAuthorizerResult(policy('Deny'), arn)).toEqual({ allowed: false, statusCode: 403 });
    expect(evaluateAuthorizerResult(policy('Allow', 'arn:aws:execute-api:us-east-1:000000000000:other/*'), arn)).toEqual({ allowed: false, statusCode: 403 });
    expect(evaluateAuthorizerResult({}, arn)).toEqual({ allowed: false, statusCode: 500 });
    expect(authorizerFailure(new Error('Unauthorized'))).toEqual({ allowed: false, statusCode: 401 });
    expect(authorizerFailure(new Error('boom'))).toEqual({ allowed: false, statusCode: 500 });
  });
});
