/**
 * Static checks of template.yaml: SAM schema, build wiring, reference integrity, the WebSocket/REST shape
 * the clients and the local runtime depend on, least-privilege IAM and the absence of secrets.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadTemplate, type CfnResource, type CfnTemplate } from '../../template/cfn-yaml';
import { createValidator, findSchema, schemaPath } from '../../scripts/validate-template';
import { Metric } from '../../layers/core/metrics';

const ROOT = resolve(__dirname, '..', '..');
const TEMPLATE_PATH = join(ROOT, 'template.yaml');
const template: CfnTemplate = loadTemplate(TEMPLATE_PATH);
const templateText = readFileSync(TEMPLATE_PATH, 'utf8');
const resources = template.Resources;

type J = Record<string, unknown>;
const obj = (value: unknown): J => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as J) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
/** A template scalar as text: a list or mapping fails the test instead of reading "[object Object]". */
const scalar = (value: unknown): string => {
  if (typeof value === 'object' && value !== null) throw new Error(`expected a scalar, got ${JSON.stringify(value)}`);
  return String(value);
};
const props = (logicalId: string): J => obj(resources[logicalId]?.Properties);
const ofType = (type: string): [string, CfnResource][] => Object.entries(resources).filter(([, r]) => r.Type === type);

/** docs/ARCHITECTURE.md: logical id -> handler file. */
const FUNCTIONS: Record<string, string> = {
  AuthorizerFunction: 'authorizer',
  ConnectFunction: 'connect',
  DisconnectFunction: 'disconnect',
  HeartbeatFunction: 'heartbeat',
  UpdatePresenceFunction: 'update-presence',
  SubscribeFunction: 'subscribe',
  DefaultFunction: 'default',
  GetPresenceFunction: 'get-presence',
  GetUserPresenceFunction: 'get-user-presence',
  SweepShardFunction: 'sweep-shard',
};
const ROUTES: Record<string, string> = {
  $connect: 'ConnectFunction',
  $disconnect: 'DisconnectFunction',
  heartbeat: 'HeartbeatFunction',
  'update-presence': 'UpdatePresenceFunction',
  subscribe: 'SubscribeFunction',
  $default: 'DefaultFunction',
};
/** Routes API Gateway answers itself (MOCK integration): no function, no route response. */
const MOCK_ROUTES = ['keepalive'];
const PUSHERS = [
  'ConnectFunction',
  'DisconnectFunction',
  'HeartbeatFunction',
  'UpdatePresenceFunction',
  'SubscribeFunction',
  'DefaultFunction',
  'SweepShardFunction',
];
const POSTGRES_READERS = [
  'ConnectFunction',
  'DisconnectFunction',
  'UpdatePresenceFunction',
  'SubscribeFunction',
  'GetPresenceFunction',
  'GetUserPresenceFunction',
  'SweepShardFunction',
];
/** The esbuild settings every function shares (SAM has no Globals for Metadata); only EntryPoints differ. */
const SHARED_BUILD_PROPERTIES = { Packages: 'external', Format: 'cjs', Target: 'es2022', Minify: true, Sourcemap: true };

const functionIds = ofType('AWS::Serverless::Function').map(([id]) => id);

// ------------------------------------------------------------------------------------------------
// Reference collection
// ------------------------------------------------------------------------------------------------
const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);
/** GetAtt attributes this template may use, per resource type. */
const ATTRIBUTES: Record<string, string[]> = {
  'AWS::Serverless::Function': ['Arn'],
  'AWS::Serverless::StateMachine': ['Arn', 'Name'],
  'AWS::Serverless::Api': ['RootResourceId'],
  'AWS::Serverless::LayerVersion': [],
  'AWS::ApiGatewayV2::Api': ['ApiEndpoint', 'ApiId'],
  'AWS::ApiGatewayV2::Authorizer': ['AuthorizerId'],
  'AWS::ApiGatewayV2::Integration': ['IntegrationId'],
  'AWS::ApiGatewayV2::Route': ['RouteId'],
  'AWS::Logs::LogGroup': ['Arn'],
  'AWS::CloudWatch::Alarm': ['Arn'],
  'AWS::Lambda::Permission': [],
};

interface Reference {
  where: string;
  kind: 'Ref' | 'GetAtt';
  name: string;
  attribute?: string;
}

function subReferences(text: string, where: string, locals: Set<string>): Reference[] {
  const refs: Reference[] = [];
  for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
    const inner = (match[1] ?? '').trim();
    if (inner.startsWith('!')) continue; // ${!Literal}
    if (locals.has(inner)) continue;
    const dot = inner.indexOf('.');
    if (dot > 0 && !inner.startsWith('AWS::')) refs.push({ where, kind: 'GetAtt', name: inner.slice(0, dot), attribute: inner.slice(dot + 1) });
    else refs.push({ where, kind: 'Ref', name: inner });
  }
  return refs;
}

function collectReferences(value: unknown, where: string, out: Reference[] = []): Reference[] {
  if (Array.isArray(value)) {
    value.forEach((item, index) => collectReferences(item, `${where}[${index}]`, out));
    return out;
  }
  if (value === null || typeof value !== 'object') return out;
  const record = value as J;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === 'Ref' && typeof record.Ref === 'string') {
    out.push({ where, kind: 'Ref', name: record.Ref });
    return out;
  }
  if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
    const target = record['Fn::GetAtt'];
    const [name, attribute] = Array.isArray(target) ? target : scalar(target).split(/\.(.*)/s);
    out.push({ where, kind: 'GetAtt', name: String(name), attribute: attribute === undefined ? undefined : String(attribute) });
    return out;
  }
  if (keys.length === 1 && keys[0] === 'Fn::Sub') {
    const sub = record['Fn::Sub'];
    if (typeof sub === 'string') out.push(...subReferences(sub, where, new Set()));
    else if (Array.isArray(sub)) {
      const variables = obj(sub[1]);
      out.push(...subReferences(String(sub[0]), where, new Set(Object.keys(variables))));
      collectReferences(variables, `${where}.Fn::Sub[1]`, out);
    }
    return out;
  }
  for (const [key, child] of Object.entries(record)) collectReferences(child, `${where}.${key}`, out);
  return out;
}

function allReferences(): Reference[] {
  const refs: Reference[] = [];
  collectReferences(template.Globals, 'Globals', refs);
  collectReferences(template.Conditions, 'Conditions', refs);
  collectReferences(template.Outputs, 'Outputs', refs);
  for (const [id, resource] of Object.entries(resources)) {
    collectReferences(resource.Properties, `Resources.${id}.Properties`, refs);
  }
  return refs;
}

function stringLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((item) => stringLeaves(item, out));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((item) => stringLeaves(item, out));
  return out;
}

/** Paths of keys that look secret (password, token, ...) but hold a literal instead of an intrinsic/definition. */
function secretKeysWithLiterals(value: unknown, where = '', out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item, index) => secretKeysWithLiterals(item, `${where}[${index}]`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = where ? `${where}.${key}` : key;
      if (/password|passwd|pwd|secret|token|api_?key/i.test(key) && (typeof child === 'string' || typeof child === 'number')) out.push(path);
      secretKeysWithLiterals(child, path, out);
    }
  }
  return out;
}

/** Inline policy statements of a function (SAM `Policies` entries with a `Statement`). */
function statements(logicalId: string): J[] {
  return list(props(logicalId).Policies).flatMap((policy) => list(obj(policy).Statement).map(obj));
}

function subString(value: unknown): string | undefined {
  const sub = obj(value)['Fn::Sub'];
  return typeof sub === 'string' ? sub : undefined;
}

// ------------------------------------------------------------------------------------------------
describe('template.yaml', () => {
  describe('SAM schema', () => {
    const schemaFile = findSchema();
    // The repository ships the schema (schemas/sam.schema.json); a missing schema is a failure, not a skip.
    it('finds the SAM schema', () => {
      expect(schemaFile ?? `not found at ${schemaPath()} (set SAM_SCHEMA_PATH)`).toMatch(/sam\.schema\.json$/);
    });
    if (!schemaFile) return;
    const validate = createValidator(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);

    it('validates against the SAM schema', () => {
      const result = validate(template);
      expect(result.errors).toEqual([]);
      expect(result.valid).toBe(true);
    });

    it('reports a readable error for an invalid template', () => {
      const broken = JSON.parse(JSON.stringify(template)) as CfnTemplate;
      (broken.Resources.ConnectFunction?.Properties as J).Hndler = 'connect.handler';
      const result = validate(broken);
      expect(result.valid).toBe(false);
      expect(result.errors).toContain('Resources.ConnectFunction.Properties: unknown property "Hndler"');
    });

    // cfn-lint 1.58 and the SAM transform both accept this one (checked by hand, README "Template checks").
    it('reports a misspelled property of the REST Cognito authorizer', () => {
      const broken = JSON.parse(JSON.stringify(template)) as CfnTemplate;
      const authorizer = obj(obj(obj(props('RestApi').Auth).Authorizers).CognitoAuthorizer);
      const restApi = broken.Resources.RestApi?.Properties as J;
      obj(obj(restApi.Auth).Authorizers).CognitoAuthorizer = { ...authorizer, Identity: { Heder: 'Authorization' } };
      expect(validate(broken).valid).toBe(false);
    });
  });

  describe('functions and build wiring', () => {
    it('declares exactly the ten functions of docs/ARCHITECTURE.md', () => {
      expect(functionIds.sort()).toEqual(Object.keys(FUNCTIONS).sort());
    });

    it.each(Object.entries(FUNCTIONS))('%s: Handler maps to an existing esbuild entry point', (logicalId, file) => {
      const resource = resources[logicalId] as CfnResource;
      const properties = obj(resource.Properties);
      const metadata = obj(resource.Metadata);
      const build = obj(metadata.BuildProperties);
      // handlers/ has no package.json, so sam build bundles in place without an npm install per function.
      expect(properties.CodeUri).toBeUndefined();
      expect(obj(template.Globals?.Function).CodeUri).toBe('handlers');
      expect(existsSync(join(ROOT, 'handlers', 'package.json'))).toBe(false);
      expect(metadata.BuildMethod).toBe('esbuild');
      expect(build).toEqual({ EntryPoints: [`${file}.ts`], ...SHARED_BUILD_PROPERTIES });
      expect(existsSync(join(ROOT, 'handlers', `${file}.ts`))).toBe(true);
      const handler = String(properties.Handler);
      expect(handler).toBe(`${file}.handler`);
      // esbuild writes entry <file>.ts to <artifacts>/<file>.js, which Handler <file>.handler loads.
      expect(handler.slice(0, handler.lastIndexOf('.'))).toBe(basename(String(list(build.EntryPoints)[0]), '.ts'));
    });

    it('names the runtime once, in Globals (the layer is pure JavaScript, installed by its Makefile)', () => {
      const globals = obj(template.Globals?.Function);
      expect(globals.Runtime).toBe('nodejs24.x');
      expect(props('RuntimeDependenciesLayer').CompatibleRuntimes).toBeUndefined();
      // Every value (not comment) naming a Node.js runtime.
      expect([...templateText.matchAll(/^\s*([\w-]+):\s*\[?\s*(nodejs[\d.]+x)/gm)].map((m) => `${m[1]}: ${m[2]}`)).toEqual([
        'Runtime: nodejs24.x',
      ]);
    });

    it('trusts the Amazon CA bundle, which Node.js 20+ runtimes no longer load by default (RDS TLS)', () => {
      const variables = obj(obj(obj(template.Globals?.Function).Environment).Variables);
      expect(variables.NODE_EXTRA_CA_CERTS).toBe('/var/runtime/ca-cert.pem');
    });

    it("logs in Lambda's JSON format at LogLevel (never stricter than INFO, which EMF lines need), without Lambda's START/REPORT lines by default", () => {
      const globals = obj(template.Globals?.Function);
      expect(globals.LoggingConfig).toEqual({
        LogFormat: 'JSON',
        ApplicationLogLevel: { Ref: 'LogLevel' },
        SystemLogLevel: { Ref: 'PlatformLogLevel' },
      });
      expect(obj(obj(globals.Environment).Variables).POWERTOOLS_LOG_LEVEL).toEqual({ Ref: 'LogLevel' });
      expect(template.Parameters?.LogLevel).toMatchObject({ Default: 'INFO', AllowedValues: ['INFO', 'DEBUG'] });
      expect(template.Parameters?.PlatformLogLevel).toMatchObject({ Default: 'WARN', AllowedValues: ['WARN', 'INFO', 'DEBUG'] });
      for (const id of functionIds) expect(props(id).LoggingConfig).toBeUndefined();
    });

    it('runs every function on arm64 with the runtime dependencies layer, in the VPC', () => {
      const globals = obj(template.Globals?.Function);
      expect(globals.Architectures).toEqual(['arm64']);
      expect(globals.Layers).toEqual([{ Ref: 'RuntimeDependenciesLayer' }]);
      expect(globals.VpcConfig).toEqual({ SubnetIds: { Ref: 'SubnetIds' }, SecurityGroupIds: { Ref: 'SecurityGroupIds' } });
      for (const id of functionIds) {
        for (const key of ['Runtime', 'Architectures', 'Layers', 'VpcConfig']) expect(props(id)[key]).toBeUndefined();
      }
      const variables = obj(obj(globals.Environment).Variables);
      expect(variables.NODE_OPTIONS).toBe('--enable-source-maps');
      expect(variables.WEBSOCKET_MANAGEMENT_ENDPOINT).toEqual({
        'Fn::Sub': 'https://${WebSocketApi}.execute-api.${AWS::Region}.amazonaws.com/${StageName}',
      });
      for (const name of ['REDIS_HOST', 'PGHOST', 'PGDATABASE', 'PGUSER', 'PG_PASSWORD_SECRET_ARN', 'STATUS_SHARDS', 'POWERTOOLS_SERVICE_NAME']) {
        expect(variables[name]).toBeDefined();
      }
      const authorizerVariables = obj(obj(props('AuthorizerFunction').Environment).Variables);
      expect(authorizerVariables).toMatchObject({
        COGNITO_USER_POOL_ID: { Ref: 'CognitoUserPoolId' },
        JWT_CLIENT_IDS: { 'Fn::Join': [',', { Ref: 'CognitoClientIds' }] },
        JWT_TOKEN_USE: { Ref: 'JwtTokenUse' },
      });
    });

    it('has a retention-bounded log group per function', () => {
      const logGroups = ofType('AWS::Logs::LogGroup').map(([, r]) => obj(r.Properties));
      for (const id of functionIds) {
        const group = logGroups.find((properties) => subString(properties.LogGroupName) === `/aws/lambda/\${${id}}`);
        expect(group).toBeDefined();
        expect(group?.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
      }
    });
  });

  describe('runtime dependencies layer', () => {
    const layer = props('RuntimeDependenciesLayer');
    const layerDir = join(ROOT, String(layer.ContentUri));

    it('is built by layers/runtime/Makefile, whose target sam build names after the logical id', () => {
      expect(resources.RuntimeDependenciesLayer?.Type).toBe('AWS::Serverless::LayerVersion');
      expect(layer.ContentUri).toBe('layers/runtime');
      expect(obj(resources.RuntimeDependenciesLayer?.Metadata).BuildMethod).toBe('makefile');
      expect(readFileSync(join(layerDir, 'Makefile'), 'utf8')).toMatch(/^build-RuntimeDependenciesLayer:/m);
    });

    // One list of runtime versions: the root manifest and lock. A second package.json beside the
    // Makefile would be a second list that could drift (check:build compares the built layer too).
    it('installs from the root package.json and lock, with no manifest of its own', () => {
      const makefile = readFileSync(join(layerDir, 'Makefile'), 'utf8');
      expect(makefile).toContain('$(REPO_ROOT)/package.json');
      expect(makefile).toContain('$(REPO_ROOT)/package-lock.json');
      expect(makefile).toMatch(/npm ci --omit=dev/);
      expect(readdirSync(layerDir).sort()).toEqual(['Makefile']);
    });
  });

  describe('parameters', () => {
    const parameters = Object.entries(template.Parameters ?? {});
    /** CloudFormation matches AllowedPattern against the whole value (each item of a CommaDelimitedList). */
    const accepts = (name: string, value: string | number): boolean => {
      const p = obj(template.Parameters?.[name]);
      const values = p.Type === 'CommaDelimitedList' ? String(value).split(',') : [value];
      return values.every((item) => {
        if (p.AllowedValues !== undefined && !list(p.AllowedValues).map(String).includes(String(item))) return false;
        if (p.AllowedPattern !== undefined && !new RegExp(scalar(p.AllowedPattern)).test(String(item))) return false;
        if (p.MinLength !== undefined && String(item).length < Number(p.MinLength)) return false;
        if (p.MaxLength !== undefined && String(item).length > Number(p.MaxLength)) return false;
        if (p.Type === 'Number' && !/^-?\d+(\.\d+)?$/.test(String(item))) return false;
        if (p.MinValue !== undefined && Number(item) < Number(p.MinValue)) return false;
        if (p.MaxValue !== undefined && Number(item) > Number(p.MaxValue)) return false;
        return true;
      });
    };

    it.each(parameters)('%s has a description and constraints that reject malformed values', (name, p) => {
      expect(typeof p.Description === 'string' && p.Description.length > 10).toBe(true);
      if (p.Type === 'String' || p.Type === 'CommaDelimitedList') {
        expect(`${name}: ${p.AllowedPattern !== undefined || p.AllowedValues !== undefined}`).toBe(`${name}: true`);
      } else if (p.Type === 'Number') {
        expect(`${name}: ${(p.MinValue !== undefined && p.MaxValue !== undefined) || p.AllowedValues !== undefined}`).toBe(`${name}: true`);
      } else {
        expect(scalar(p.Type)).toMatch(/^List<AWS::EC2::[\w:]+>$/); // validated by CloudFormation against the account
      }
      if (p.AllowedPattern !== undefined) {
        expect(scalar(p.AllowedPattern)).toMatch(/^\^.*\$$/);
        expect(typeof p.ConstraintDescription).toBe('string');
      }
      if (p.Default !== undefined) expect(`${name} default ${scalar(p.Default)}: ${accepts(name, p.Default as string)}`).toBe(`${name} default ${scalar(p.Default)}: true`);
    });

    it.each([
      ['StageName', ['prod', 'dev_2', 'a-b'], ['', 'prod stage', 'x'.repeat(129)]],
      ['CognitoUserPoolId', ['us-east-1_AbCdEf123', 'eu-west-2_x'], ['us-east-1', 'us-east-1_Ab-c', `us-east-1_${'a'.repeat(50)}`]],
      ['CognitoClientIds', ['1example23456789', 'abc,def'], ['abc,', 'a b', "abc,d'e"]],
      ['UserIdClaim', ['sub', 'custom:user_id', 'cognito:username'], ['', 'a b', 'a/b']],
      ['RedisHost', ['presence.abc123.use1.cache.amazonaws.com', '10.0.0.5', 'redis'], ['', 'redis://x', 'x:6379', '-x', 'x.']],
      ['PostgresHost', ['db.cluster-abc.us-east-1.rds.amazonaws.com'], ['postgres://db', 'db:5432', 'db/x']],
      ['PostgresDatabase', ['postgres', 'user_service'], ['1db', 'a b', 'x'.repeat(64)]],
      ['PostgresUser', ['presence_ro'], ['', 'a;b']],
      ['PostgresPasswordSecretArn', ['arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1a2b-AbCdEf'], ['my-secret', 'arn:aws:secretsmanager:us-east-1:1234:secret:x']],
      ['SweepScheduleExpression', ['rate(1 minute)', 'rate(5 minutes)', 'rate(2 hours)', 'cron(0/2 * * * ? *)'], ['rate(1 minutes)', 'rate(0 minutes)', 'rate(5 minute)', 'every minute', 'at(2030-01-01T00:00:00)']],
      [
        'CorsAllowOrigin',
        ['*', 'https://chat.example.com', 'http://localhost:3000', `https://chat.example.com,chrome-extension://${'abcdefghijklmnop'.repeat(2)}`],
        ['', 'https://a.com/path', "https://a.com'", 'a.com', 'https://a.com,', 'chrome-extension://abcdef', `chrome-extension://${'qrstuvwxyz'.repeat(3)}qr`],
      ],
      ['RedisAuthSecretArn', ['', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:presence-redis-AbCdEf'], ['presence-redis', 'arn:aws:ssm:eu-west-1:123456789012:parameter/x']],
      ['RedisPort', [6379, 1, 65535], [0, 65536, 'x']],
      ['LogRetentionDays', [30, 3653], [0, 31]],
    ] as const)('%s accepts well-formed values and rejects malformed ones', (name, good, bad) => {
      expect(template.Parameters?.[name]).toBeDefined();
      for (const value of good) expect(`${value}: ${accepts(name, value)}`).toBe(`${value}: true`);
      for (const value of bad) expect(`${value}: ${accepts(name, value)}`).toBe(`${value}: false`);
    });
  });

  describe('rules', () => {
    type Parameters = Record<string, string | string[]>;
    /** The rule functions these rules use, evaluated the way CloudFormation does against parameter values. */
    const evaluate = (value: unknown, parameters: Parameters): unknown => {
      if (Array.isArray(value)) return value.map((item) => evaluate(item, parameters));
      const node = obj(value);
      const [fn] = Object.keys(node);
      if (typeof value !== 'object' || value === null || !fn) return value;
      const args = list(evaluate(node[fn], parameters));
      switch (fn) {
        case 'Ref':
          return parameters[String(node.Ref)];
        case 'Fn::Equals':
          return args[0] === args[1];
        case 'Fn::Not':
          return !args[0];
        case 'Fn::Contains':
          return list(args[0]).includes(args[1]);
        case 'Fn::EachMemberEquals':
          return list(args[0]).every((item) => item === args[1]);
        default:
          throw new Error(`no evaluator for ${fn}`);
      }
    };
    const defaults = (): Parameters =>
      Object.fromEntries(
        Object.entries(template.Parameters ?? {}).map(([name, p]) => [name, p.Type === 'CommaDelimitedList' ? scalar(p.Default ?? '').split(',') : scalar(p.Default ?? '')]),
      );
    /** The rules a stack with these parameter values breaks (CloudFormation refuses the change set). */
    const broken = (values: Parameters): string[] => {
      const parameters = { ...defaults(), ...values };
      return Object.entries(obj((template as J).Rules))
        .filter(([, rule]) => {
          const { RuleCondition, Assertions } = obj(rule);
          if (RuleCondition !== undefined && !evaluate(RuleCondition, parameters)) return false;
          return list(Assertions).some((assertion) => !evaluate(obj(assertion).Assert, parameters));
        })
        .map(([name]) => name);
    };

    it.each([
      [{ CorsAllowOrigin: ['*'] }, []],
      [{ CorsAllowOrigin: ['https://chat.example.com', `chrome-extension://${'abcdefghijklmnop'.repeat(2)}`] }, []],
      [{ CorsAllowOrigin: ['*', 'https://chat.example.com'] }, ['AnyOriginStandsAlone']],
      [{ RedisAuthSecretArn: '', RedisTls: 'false' }, []],
      [{ RedisAuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:r-AbCdEf', RedisTls: 'true' }, []],
      [{ RedisAuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:r-AbCdEf', RedisTls: 'false' }, ['RedisCredentialsTravelOverTls']],
    ] as const)('with %j breaks %j', (values, expected) => {
      expect(broken(values as unknown as Parameters)).toEqual(expected);
    });
  });

  describe('references and paths', () => {
    const parameters = new Set(Object.keys(template.Parameters ?? {}));

    it('every Ref / GetAtt / Sub reference resolves', () => {
      const problems: string[] = [];
      for (const ref of allReferences()) {
        if (ref.kind === 'Ref') {
          if (!PSEUDO_PARAMETERS.has(ref.name) && !parameters.has(ref.name) && !resources[ref.name]) {
            problems.push(`${ref.where}: Ref ${ref.name} is not a parameter, resource or pseudo parameter`);
          }
          continue;
        }
        const resource = resources[ref.name];
        if (!resource) {
          problems.push(`${ref.where}: GetAtt ${ref.name}.${ref.attribute} names no resource`);
          continue;
        }
        const known = ATTRIBUTES[resource.Type];
        if (!known || !ref.attribute || !known.includes(ref.attribute)) {
          problems.push(`${ref.where}: ${resource.Type} ${ref.name} has no attribute ${ref.attribute ?? '(none)'}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('every DependsOn target exists', () => {
      for (const [id, resource] of Object.entries(resources)) {
        for (const target of list(resource.DependsOn)) expect(`${id} -> ${String(target)}: ${Boolean(resources[String(target)])}`).toBe(`${id} -> ${String(target)}: true`);
      }
    });

    it('every parameter is used', () => {
      const used = new Set(allReferences().filter((ref) => ref.kind === 'Ref').map((ref) => ref.name));
      expect([...parameters].filter((name) => !used.has(name))).toEqual([]);
    });

    it('every CodeUri / ContentUri / DefinitionUri exists', () => {
      const globalCodeUri = obj(template.Globals?.Function).CodeUri;
      for (const [id, resource] of Object.entries(resources)) {
        const properties = obj(resource.Properties);
        for (const key of ['CodeUri', 'ContentUri', 'DefinitionUri']) {
          const value = properties[key] ?? (key === 'CodeUri' && resource.Type === 'AWS::Serverless::Function' ? globalCodeUri : undefined);
          if (value === undefined) continue;
          expect(typeof value).toBe('string');
          expect(`${id}.${key} ${scalar(value)}: ${existsSync(join(ROOT, scalar(value)))}`).toBe(`${id}.${key} ${scalar(value)}: true`);
        }
      }
    });

    it('DefinitionSubstitutions match the ${Name} placeholders of the ASL file exactly', () => {
      const machine = props('PresenceTimeoutStateMachine');
      const aslPath = join(ROOT, String(machine.DefinitionUri));
      const asl = readFileSync(aslPath, 'utf8');
      expect(() => JSON.parse(asl)).not.toThrow();
      const used = new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]));
      expect([...used].sort()).toEqual(Object.keys(obj(machine.DefinitionSubstitutions)).sort());
    });
  });

  describe('WebSocket API', () => {
    const [apiId] = ofType('AWS::ApiGatewayV2::Api').map(([id]) => id);
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([id, r]): J & { id: string } => ({ ...obj(r.Properties), id }));

    it('is a WEBSOCKET API routed by $request.body.action', () => {
      expect(apiId).toBe('WebSocketApi');
      expect(props('WebSocketApi')).toMatchObject({ ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' });
    });

    /** The AWS::ApiGatewayV2::Integration a route's Target names. */
    function integrationOf(route: J): J {
      expect(route.ApiId).toEqual({ Ref: 'WebSocketApi' });
      const target = /^integrations\/\$\{(\w+)\}$/.exec(subString(route.Target) ?? '');
      expect(target).not.toBeNull();
      const integrationId = target?.[1] ?? '';
      expect(resources[integrationId]?.Type).toBe('AWS::ApiGatewayV2::Integration');
      const integration = props(integrationId);
      expect(integration.ApiId).toEqual({ Ref: 'WebSocketApi' });
      return integration;
    }

    it('has exactly the six function routes and the keep-alive route', () => {
      expect(routes.map((route) => route.RouteKey).sort()).toEqual([...Object.keys(ROUTES), ...MOCK_ROUTES].sort());
    });

    it('integrates each function route (AWS_PROXY) with its function', () => {
      for (const route of routes.filter((candidate) => String(candidate.RouteKey) in ROUTES)) {
        const integration = integrationOf(route);
        expect(integration.IntegrationType).toBe('AWS_PROXY');
        expect(subString(integration.IntegrationUri)).toBe(
          `arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${ROUTES[String(route.RouteKey)]}.Arn}/invocations`,
        );
      }
    });

    it('answers keepalive in API Gateway itself: MOCK, a static 200 request template, no function, no route response', () => {
      const keepalive = routes.find((route) => route.RouteKey === 'keepalive');
      expect(keepalive?.id).toBe('KeepaliveRoute');
      // No route response: API Gateway sends nothing back, so a keep-alive costs exactly one message.
      expect(keepalive?.RouteResponseSelectionExpression).toBeUndefined();
      const routeResponses = ofType('AWS::ApiGatewayV2::RouteResponse').map(([, r]) => obj(r.Properties).RouteId);
      expect(routeResponses).not.toContainEqual({ Ref: 'KeepaliveRoute' });
      // The whole integration: no IntegrationUri, so no function.
      expect(integrationOf(keepalive ?? {})).toEqual({
        ApiId: { Ref: 'WebSocketApi' },
        IntegrationType: 'MOCK',
        // "\$default" (an escaped $) selects the template under the reserved $default key for every message.
        TemplateSelectionExpression: '\\$default',
        RequestTemplates: { $default: '{"statusCode": 200}' },
      });
    });

    it('authorizes $connect (and only $connect) with the REQUEST authorizer, without IdentitySource', () => {
      for (const route of routes) {
        if (route.RouteKey === '$connect') {
          expect(route.AuthorizationType).toBe('CUSTOM');
          expect(route.AuthorizerId).toEqual({ Ref: 'WebSocketAuthorizer' });
        } else {
          expect(route.AuthorizationType ?? 'NONE').toBe('NONE');
          expect(route.AuthorizerId).toBeUndefined();
        }
      }
      const authorizer = props('WebSocketAuthorizer');
      expect(resources.WebSocketAuthorizer?.Type).toBe('AWS::ApiGatewayV2::Authorizer');
      expect(authorizer.AuthorizerType).toBe('REQUEST');
      // The token may come from the query string OR the Sec-WebSocket-Protocol header.
      expect(authorizer.IdentitySource).toBeUndefined();
      expect(subString(authorizer.AuthorizerUri)).toBe(
        'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthorizerFunction.Arn}/invocations',
      );
    });

    it('deploys a stage named by StageName after every route exists', () => {
      const [stageId, stage] = ofType('AWS::ApiGatewayV2::Stage')[0] ?? [];
      expect(stageId).toBeDefined();
      const properties = obj(stage?.Properties);
      expect(properties.StageName).toEqual({ Ref: 'StageName' });
      expect(properties.AutoDeploy === true || properties.DeploymentId !== undefined).toBe(true);
      expect(obj(properties.DefaultRouteSettings).ThrottlingRateLimit).toBeDefined();
      const dependsOn = new Set(list(stage?.DependsOn).map(String));
      for (const route of routes) expect(dependsOn.has(route.id)).toBe(true);
    });

    it('lets API Gateway invoke each WebSocket function, scoped to this API', () => {
      const permissions = ofType('AWS::Lambda::Permission').map(([, r]) => obj(r.Properties));
      for (const functionId of ['AuthorizerFunction', ...Object.values(ROUTES)]) {
        const permission = permissions.find((p) => JSON.stringify(p.FunctionName) === JSON.stringify({ Ref: functionId }));
        expect(permission).toBeDefined();
        expect(permission?.Principal).toBe('apigateway.amazonaws.com');
        expect(permission?.Action).toBe('lambda:InvokeFunction');
        expect(subString(permission?.SourceArn)).toMatch(
          /^arn:\$\{AWS::Partition\}:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{WebSocketApi\}\/.+$/,
        );
      }
    });
  });

  describe('REST API', () => {
    const api = props('RestApi');

    it('uses the Cognito user pool authorizer by default, not on CORS preflight', () => {
      expect(resources.RestApi?.Type).toBe('AWS::Serverless::Api');
      const auth = obj(api.Auth);
      expect(auth.DefaultAuthorizer).toBe('CognitoAuthorizer');
      expect(auth.AddDefaultAuthorizerToCorsPreflight).toBe(false);
      expect(obj(obj(auth.Authorizers).CognitoAuthorizer).UserPoolArn).toEqual({
        'Fn::Sub': 'arn:aws:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/${CognitoUserPoolId}',
      });
    });

    it.each([
      ['GetPresenceFunction', '/presence'],
      ['GetUserPresenceFunction', '/presence/{userId}'],
    ])('%s serves GET %s on RestApi with the default authorizer', (functionId, path) => {
      const events = Object.values(obj(props(functionId).Events)).map(obj);
      const api = events.find((event) => event.Type === 'Api');
      expect(obj(api?.Properties)).toMatchObject({ RestApiId: { Ref: 'RestApi' }, Path: path, Method: 'get' });
      expect(obj(api?.Properties).Auth).toBeUndefined();
    });

    it("answers preflights and API Gateway's own errors with *, and gives the functions the list of origins", () => {
      const cors = obj(api.Cors);
      expect(cors.AllowOrigin).toBe("'*'");
      expect(cors.AllowHeaders).toBe("'Authorization,Content-Type'");
      expect(cors.AllowMethods).toBe("'GET,OPTIONS'");
      for (const response of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
        const headers = obj(obj(obj(obj(api.GatewayResponses)[response]).ResponseParameters).Headers);
        expect(headers['Access-Control-Allow-Origin']).toBe("'*'");
      }
      // No credentialed requests (the token is a header): nothing may tell browsers otherwise.
      expect(templateText).not.toMatch(/Allow-Credentials/);
      const variables = obj(obj(obj(template.Globals?.Function).Environment).Variables);
      expect(variables.CORS_ALLOW_ORIGIN).toEqual({ 'Fn::Join': [',', { Ref: 'CorsAllowOrigin' }] });
    });

    it.each(['GetPresenceFunction', 'GetUserPresenceFunction'])('%s accepts the app clients the WebSocket authorizer accepts', (functionId) => {
      expect(obj(obj(props(functionId).Environment).Variables).JWT_CLIENT_IDS).toEqual({ 'Fn::Join': [',', { Ref: 'CognitoClientIds' }] });
    });
  });

  describe('timeout workflow', () => {
    const machine = props('PresenceTimeoutStateMachine');

    it('is a scheduled EXPRESS state machine that logs to its own log group', () => {
      expect(resources.PresenceTimeoutStateMachine?.Type).toBe('AWS::Serverless::StateMachine');
      expect(machine.Type).toBe('EXPRESS');
      const logging = obj(machine.Logging);
      expect(['ALL', 'ERROR', 'FATAL']).toContain(logging.Level);
      const destination = obj(obj(list(logging.Destinations)[0]).CloudWatchLogsLogGroup);
      expect(destination.LogGroupArn).toEqual({ 'Fn::GetAtt': ['PresenceTimeoutLogGroup', 'Arn'] });
      const schedule = Object.values(obj(machine.Events)).map(obj)[0];
      expect(['Schedule', 'ScheduleV2']).toContain(schedule?.Type);
      expect(obj(schedule?.Properties).ScheduleExpression).toEqual({ Ref: 'SweepScheduleExpression' });
      expect(obj(machine.DefinitionSubstitutions)).toEqual({
        SweepShardFunctionArn: { 'Fn::GetAtt': ['SweepShardFunction', 'Arn'] },
        StatusShardCount: { Ref: 'StatusShardCount' },
        SweepMaxConcurrency: { Ref: 'SweepMaxConcurrency' },
        SweepBatchSize: { Ref: 'SweepBatchSize' },
      });
    });

    it('may invoke only the sweep function', () => {
      const policies = list(machine.Policies).map(obj);
      const invoke = policies.filter((policy) => 'LambdaInvokePolicy' in policy);
      expect(invoke).toEqual([{ LambdaInvokePolicy: { FunctionName: { Ref: 'SweepShardFunction' } } }]);
      const actions = policies.flatMap((policy) => list(policy.Statement).map(obj)).flatMap((statement) => list(statement.Action).map(String));
      expect(actions.every((action) => action.startsWith('logs:'))).toBe(true);
    });
  });

  describe('least privilege and secrets', () => {
    const connectionsArn = /^arn:\$\{AWS::Partition\}:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{WebSocketApi\}\/\$\{StageName\}\/(POST|DELETE|GET)\/@connections\/\*$/;

    it.each(functionIds)('%s: execute-api:ManageConnections only if it pushes, scoped to this API and stage', (functionId) => {
      const manage = statements(functionId).filter((statement) => list(statement.Action).includes('execute-api:ManageConnections'));
      if (!PUSHERS.includes(functionId)) {
        expect(manage).toEqual([]);
        return;
      }
      expect(manage).toHaveLength(1);
      const arns = list(manage[0]?.Resource).map((resource) => subString(resource) ?? JSON.stringify(resource));
      expect(arns.length).toBeGreaterThan(0);
      for (const arn of arns) expect(arn).toMatch(connectionsArn);
      expect(arns.some((arn) => arn.includes('/POST/'))).toBe(true);
    });

    it.each(functionIds)('%s: reads the PostgreSQL secret only if it queries PostgreSQL, and only that secret', (functionId) => {
      const policies = list(props(functionId).Policies).map(obj);
      const secret = policies.filter((policy) => 'AWSSecretsManagerGetSecretValuePolicy' in policy);
      const inline = statements(functionId).filter((statement) => list(statement.Action).some((action) => String(action).startsWith('secretsmanager:')));
      expect(inline).toEqual([]);
      if (POSTGRES_READERS.includes(functionId)) {
        expect(secret).toEqual([{ AWSSecretsManagerGetSecretValuePolicy: { SecretArn: { Ref: 'PostgresPasswordSecretArn' } } }]);
      } else {
        expect(secret).toEqual([]);
      }
    });

    it('gives the authorizer no extra permissions and no function a wildcard resource', () => {
      expect(props('AuthorizerFunction').Policies).toBeUndefined();
      for (const id of functionIds) {
        for (const statement of statements(id)) expect(list(statement.Resource)).not.toContain('*');
        for (const policy of list(props(id).Policies)) expect(typeof policy).not.toBe('string'); // no AWS managed policies
      }
    });

    it.each(functionIds)('%s: reads the Redis credentials secret, when one is set, only if it uses Redis', (functionId) => {
      const conditional = list(props(functionId).Policies).filter((policy) => JSON.stringify(policy).includes('RedisAuthSecretReadPolicy'));
      expect(conditional).toEqual(
        functionId === 'AuthorizerFunction' ? [] : [{ 'Fn::If': ['HasRedisAuthSecret', { Ref: 'RedisAuthSecretReadPolicy' }, { Ref: 'AWS::NoValue' }] }],
      );
    });

    it('grants GetSecretValue on the Redis credentials secret alone, and only when there is one', () => {
      const policy = resources.RedisAuthSecretReadPolicy;
      expect(policy?.Type).toBe('AWS::IAM::ManagedPolicy');
      expect(policy?.Condition).toBe('HasRedisAuthSecret');
      expect(template.Conditions?.HasRedisAuthSecret).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'RedisAuthSecretArn' }, ''] }] });
      expect(list(obj(obj(policy?.Properties).PolicyDocument).Statement)).toEqual([
        { Sid: 'ReadRedisCredentials', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: 'RedisAuthSecretArn' } },
      ]);
      const variables = obj(obj(obj(template.Globals?.Function).Environment).Variables);
      expect(variables.REDIS_AUTH_SECRET_ARN).toEqual({ Ref: 'RedisAuthSecretArn' });
      // One TLS default: the code's (REDIS_TLS unset: on) is the template's.
      expect(template.Parameters?.RedisTls?.Default).toBe('true');
      expect(variables.REDIS_TLS).toEqual({ Ref: 'RedisTls' });
    });

    it('contains no literal secret', () => {
      const strings = stringLeaves(template);
      expect(strings.filter((value) => /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/.test(value))).toEqual([]); // JWTs
      expect(strings.filter((value) => /\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(value))).toEqual([]); // access keys
      expect(strings.filter((value) => /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i.test(value))).toEqual([]); // creds in URLs
      expect(templateText).not.toMatch(/(password|passwd|pwd)=[^\s&;$]/i); // connection-string style
      expect(secretKeysWithLiterals(template)).toEqual([]);
      for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
        if (/(password|secret|token|apikey)$/i.test(name)) expect(`${name} default: ${scalar(parameter.Default)}`).toBe(`${name} default: undefined`);
      }
      const environments = [obj(template.Globals?.Function), ...functionIds.map(props)].map((p) => obj(obj(p.Environment).Variables));
      for (const variables of environments) {
        for (const [name, value] of Object.entries(variables)) {
          if (/PASSWORD|SECRET|TOKEN|API_KEY/.test(name)) expect(`${name}: ${typeof value}`).toBe(`${name}: object`); // an intrinsic
        }
      }
    });
  });

  describe('operations: metrics, alarms, dashboard, tracing', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    const serviceMetrics = new Set<string>(Object.values(Metric));
    /** Every metric an alarm reads: [namespace, name]. */
    const alarmMetrics = alarms.flatMap(([, alarm]) => {
      const p = obj(alarm.Properties);
      if (p.MetricName) return [[p.Namespace, p.MetricName]];
      return list(p.Metrics).flatMap((m) => {
        const metric = obj(obj(obj(m).MetricStat).Metric);
        return metric.MetricName ? [[metric.Namespace, metric.MetricName]] : [];
      });
    });

    it('alarms on function errors and throttles, handler failures, dependencies, the sweep and both APIs', () => {
      expect(alarms.map(([id]) => id).sort()).toEqual(
        [
          'FunctionErrorsAlarm',
          'FunctionThrottlesAlarm',
          'HandlerFailuresAlarm',
          'PostgresErrorsAlarm',
          'RedisErrorsAlarm',
          'RestApi5xxAlarm',
          'SweepBacklogAlarm',
          'SweepFailedAlarm',
          'SweepTimedOutAlarm',
          'WebSocketExecutionErrorsAlarm',
          'WebSocketIntegrationErrorsAlarm',
        ].sort(),
      );
      // Errors and throttles cover every function.
      for (const id of ['FunctionErrorsAlarm', 'FunctionThrottlesAlarm']) {
        const watched = list(props(id).Metrics).map((m) => obj(list(obj(obj(obj(m).MetricStat).Metric).Dimensions)[0]).Value).filter(Boolean);
        expect(watched.map((ref) => obj(ref).Ref).sort()).toEqual([...functionIds].sort());
      }
    });

    it('reads only metrics the service emits (layers/core/metrics.ts) or AWS publishes', () => {
      for (const [namespace, name] of alarmMetrics) {
        if (namespace === 'PresenceApi') expect(serviceMetrics).toContain(name);
        else expect(['AWS/Lambda', 'AWS/States', 'AWS/ApiGateway']).toContain(namespace);
      }
      // CloudWatch's shorthand: "." repeats the field of the row above, "..." all of them up to the next.
      const body = JSON.parse(subString(props('Dashboard').DashboardBody)!.replace(/\$\{[^}]+\}/g, 'x')) as {
        widgets: { properties: { metrics?: unknown[][] } }[];
      };
      const shown: string[] = [];
      for (const { properties } of body.widgets) {
        let previous: unknown[] = [];
        for (const row of properties.metrics ?? []) {
          const fields = row[0] === '...' ? [...previous.slice(0, previous.length - row.length + 1), ...row.slice(1)] : row.map((f, i) => (f === '.' ? previous[i] : f));
          if (fields[0] === 'PresenceApi') shown.push(String(fields[1]));
          previous = fields;
        }
      }
      expect(new Set(shown).size).toBeGreaterThan(10);
      for (const name of shown) expect(serviceMetrics).toContain(name);
    });

    it('notifies an existing topic or one made for an e-mail address, and nothing when neither is given', () => {
      for (const [id, alarm] of alarms) {
        const actions = obj(alarm.Properties).AlarmActions;
        expect(`${id}: ${JSON.stringify(actions)}`).toBe(
          `${id}: ${JSON.stringify({ 'Fn::If': ['NotifiesAlarms', [{ 'Fn::If': ['HasAlarmTopicArn', { Ref: 'AlarmTopicArn' }, { Ref: 'AlarmTopic' }] }], { Ref: 'AWS::NoValue' }] })}`,
        );
      }
      expect(resources.AlarmTopic?.Condition).toBe('CreatesAlarmTopic');
      expect(template.Parameters?.AlarmEmail?.Default).toBe('');
    });

    it('turns X-Ray tracing on for every function and the state machine with one parameter', () => {
      const globals = obj(template.Globals?.Function);
      expect(globals.Tracing).toEqual({ 'Fn::If': ['TracingEnabled', 'Active', 'PassThrough'] });
      expect(obj(obj(globals.Environment).Variables).POWERTOOLS_TRACE_ENABLED).toEqual({ Ref: 'EnableTracing' });
      expect(obj(props('PresenceTimeoutStateMachine').Tracing).Enabled).toEqual({ 'Fn::If': ['TracingEnabled', true, false] });
    });
  });

  describe('outputs', () => {
    it('publishes the endpoints and the state machine', () => {
      const outputs = template.Outputs ?? {};
      expect(subString(outputs.WebSocketUrl?.Value)).toBe('wss://${WebSocketApi}.execute-api.${AWS::Region}.amazonaws.com/${StageName}');
      expect(subString(outputs.WebSocketManagementEndpoint?.Value)).toBe(
        'https://${WebSocketApi}.execute-api.${AWS::Region}.amazonaws.com/${StageName}',
      );
      expect(subString(outputs.RestApiUrl?.Value)).toContain('${RestApi}');
      expect(outputs.PresenceTimeoutStateMachineArn?.Value).toEqual({ Ref: 'PresenceTimeoutStateMachine' });
    });
  });

  describe('events/', () => {
    const eventsDir = join(ROOT, 'events');
    const files = existsSync(eventsDir) ? readdirSync(eventsDir).filter((file) => file.endsWith('.json')) : [];

    it.each(Object.entries(FUNCTIONS))('%s has a sample event events/%s.json', (_id, file) => {
      expect(files).toContain(`${file}.json`);
    });

    it.each(files)('%s is JSON without a real-looking token', (file) => {
      const text = readFileSync(join(eventsDir, file), 'utf8');
      expect(() => JSON.parse(text)).not.toThrow();
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\./);
    });

    it.each(files.filter((file) => file !== 'sweep-shard.json'))('%s comes from the default stage', (file) => {
      const event = JSON.parse(readFileSync(join(eventsDir, file), 'utf8')) as { requestContext?: { stage?: string } };
      expect(event.requestContext?.stage).toBe(template.Parameters?.StageName?.Default);
    });
  });
});
