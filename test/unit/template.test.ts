// template.yaml against the facts a deployment must respect (design.md "AWS facts
// the deployment must respect") and against the code it deploys: handlers that
// exist, the environment the functions read, the permissions their calls need.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type Tags } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SINK_NODE_OPTIONS } from '../../src/local/dev.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// CloudFormation's short-form intrinsics, read as their long forms ({"Ref": x},
// {"Fn::Sub": x}, ...) so the template can be inspected as plain data.
const INTRINSICS = ['Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'If', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'Transform', 'And', 'Equals', 'Not', 'Or', 'Length', 'ToJsonString'];

function cloudFormationTags(): Tags {
  const tags: Tags = [];
  const longForm = (name: string, value: unknown): Record<string, unknown> => {
    if (name === 'Ref' || name === 'Condition') return { [name]: value };
    // !GetAtt Resource.Attribute is the scalar form of ["Resource", "Attribute"].
    if (name === 'GetAtt' && typeof value === 'string') {
      const dot = value.indexOf('.');
      return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
    }
    return { [`Fn::${name}`]: value };
  };
  for (const name of ['Ref', 'Condition', ...INTRINSICS]) {
    tags.push({ tag: `!${name}`, resolve: (value: string) => longForm(name, value) });
    tags.push({ tag: `!${name}`, collection: 'seq', resolve: (seq) => longForm(name, seq.toJSON()) });
    tags.push({ tag: `!${name}`, collection: 'map', resolve: (map) => longForm(name, map.toJSON()) });
  }
  return tags;
}

type Obj = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Obj;
  Metadata?: Obj;
}
interface Template {
  Transform: string;
  Parameters: Record<string, Obj>;
  Conditions: Obj;
  Globals: { Function: Obj };
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}

const template = parse(fs.readFileSync(path.join(ROOT, 'template.yaml'), 'utf8'), { customTags: cloudFormationTags() }) as Template;
const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function');
const fn = (name: string): Resource => {
  const r = template.Resources[name];
  if (!r) throw new Error(`template.yaml declares no ${name}`);
  return r;
};
/** A function's property, falling back to Globals as SAM does. */
const prop = (r: Resource, key: string): unknown => r.Properties[key] ?? template.Globals.Function[key];
/** A function's environment: Globals' variables overlaid by its own, as SAM merges them. */
const envOf = (r: Resource): Obj => ({
  ...((template.Globals.Function.Environment as { Variables?: Obj } | undefined)?.Variables ?? {}),
  ...((r.Properties.Environment as { Variables?: Obj } | undefined)?.Variables ?? {}),
});
/** The largest value a number property can take: a literal, or a !Ref to a parameter (its MaxValue, else its Default). */
const maxOf = (value: unknown): number => {
  if (typeof value === 'number') return value;
  const ref = (value as { Ref?: string } | null)?.Ref;
  const param = ref ? template.Parameters[ref] : undefined;
  if (!param) throw new Error(`not a number or a parameter reference: ${JSON.stringify(value)}`);
  return Number(param.MaxValue ?? param.Default);
};
const source = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('template.yaml', () => {
  it('is a SAM template declaring the worker, the coordinator, the API and the sink', () => {
    expect(template.Transform).toBe('AWS::Serverless-2016-10-31');
    expect(functions.map(([name]) => name).sort()).toEqual(['ApiFunction', 'CoordinatorFunction', 'SinkFunction', 'WorkerFunction']);
  });

  it('lets the hand-off chain run past 16 hops: RecursiveLoop Allow on the worker and the coordinator', () => {
    expect(fn('WorkerFunction').Properties.RecursiveLoop).toBe('Allow');
    expect(fn('CoordinatorFunction').Properties.RecursiveLoop).toBe('Allow');
  });

  it('never lets Lambda retry a worker or coordinator invocation (the coordinator decides)', () => {
    for (const name of ['WorkerFunction', 'CoordinatorFunction']) {
      expect((fn(name).Properties.EventInvokeConfig as Obj | undefined)?.MaximumRetryAttempts, name).toBe(0);
    }
  });

  describe.each(functions)('%s', (name, resource) => {
    it('is built by esbuild from one entry point in functions/, which exports the handler', async () => {
      const build = resource.Metadata?.BuildProperties as Obj | undefined;
      expect(resource.Metadata?.BuildMethod).toBe('esbuild');
      const entryPoints = build?.EntryPoints as string[];
      expect(entryPoints).toHaveLength(1);
      const entry = path.join(String(resource.Properties.CodeUri), entryPoints[0]!);
      expect(path.dirname(entry)).toBe('functions');
      expect(fs.existsSync(path.join(ROOT, entry)), `${entry} exists`).toBe(true);
      // ESM bundles named .mjs: the artifact has no package.json saying "type": "module".
      expect(build?.Format).toBe('esm');
      expect(build?.OutExtension).toContain('.js=.mjs');
      // esbuild writes a single entry point's bundle at the top of the artifact.
      const [file, exported] = String(resource.Properties.Handler).split('.');
      expect(file).toBe(path.basename(entry, '.ts'));
      const module = (await import(path.join(ROOT, entry))) as Record<string, unknown>;
      expect(typeof module[exported!], `${entry} exports ${exported}`).toBe('function');
    });

    it('runs on a Node.js runtime Lambda still creates (20 or later), within the 900 s limit', () => {
      expect(String(prop(resource, 'Runtime'))).toMatch(/^nodejs(\d+)\.x$/);
      expect(Number(/\d+/.exec(String(prop(resource, 'Runtime')))![0])).toBeGreaterThanOrEqual(20);
      expect(maxOf(prop(resource, 'Timeout'))).toBeLessThanOrEqual(900);
    });

    it('can read and write the table', () => {
      const policies = resource.Properties.Policies as Obj[];
      expect(policies).toContainEqual({ DynamoDBCrudPolicy: { TableName: { Ref: 'Table' } } });
    });

    it('may invoke every function it is told to invoke', () => {
      const env = envOf(resource);
      const policies = resource.Properties.Policies as Obj[];
      for (const key of ['SLIPWAY_WORKER_FUNCTION', 'SLIPWAY_COORDINATOR_FUNCTION']) {
        if (env[key] === undefined) continue;
        expect(policies, key).toContainEqual({ LambdaInvokePolicy: { FunctionName: env[key] } });
      }
    });
  });

  it('declares the sink function without an event source (the coordinator manages the mappings), within the 14 minutes Kafka mappings allow', () => {
    const sink = fn('SinkFunction');
    expect(sink.Properties.Handler).toBe('sink.handler');
    expect(sink.Properties.Events).toBeUndefined();
    expect(maxOf(prop(sink, 'Timeout'))).toBeLessThanOrEqual(14 * 60);
    expect(template.Outputs.SinkFunctionName!.Value).toEqual({ Ref: 'SinkFunction' });
  });

  it('ends the API function before API Gateway gives up (29 s)', () => {
    expect(maxOf(prop(fn('ApiFunction'), 'Timeout'))).toBeLessThanOrEqual(29);
  });

  it('declares every file in functions/ as a function', () => {
    const declared = functions.map(([, r]) => ((r.Metadata?.BuildProperties as Obj).EntryPoints as string[])[0]);
    const files = fs.readdirSync(path.join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'));
    for (const file of files) expect(declared, file).toContain(`functions/${file}`);
  });

  it('keeps the single table: PK/SK strings and item TTL on expiresAt', () => {
    const table = fn('Table').Properties;
    expect(fn('Table').Type).toBe('AWS::DynamoDB::Table');
    expect(table.KeySchema).toEqual([
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    expect(table.AttributeDefinitions).toEqual([
      { AttributeName: 'PK', AttributeType: 'S' },
      { AttributeName: 'SK', AttributeType: 'S' },
    ]);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  describe('environment', () => {
    // Where the runtime reads its environment (typed getters with defaults).
    const readers = ['src/runtime/settings.ts', 'src/store/client.ts', 'src/kafka/client.ts', 'src/logging.ts'];
    const readerText = readers.map(source).join('\n');
    const names = new Set([...readerText.matchAll(/env\.([A-Z][A-Z0-9_]+)|env, '([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1] ?? m[2]!));
    /** Numbers with a default fit for AWS too: setting them is optional. */
    const tunables = new Set([...readerText.matchAll(/intFrom\(env, '([A-Z0-9_]+)', /g)].map((m) => m[1]!));
    /**
     * These fall back to local names (127.0.0.1:9092, table "slipway", function
     * "slipway-worker") that do not exist in a deployment: every function whose
     * handler calls the getter must have them set.
     */
    const deployment: Record<string, { getter: RegExp; value: (r: Resource) => unknown }> = {
      SLIPWAY_TABLE: { getter: /\btableName\(\)/, value: () => ({ Ref: 'Table' }) },
      KAFKA_BOOTSTRAP_SERVERS: { getter: /\bbootstrapServers\(\)/, value: () => ({ Ref: 'KafkaBootstrapServers' }) },
      SLIPWAY_WORKER_FUNCTION: { getter: /\bfunctionNames\(\)\.worker\b/, value: (r) => (r === fn('WorkerFunction') ? fn('WorkerFunction').Properties.FunctionName : { Ref: 'WorkerFunction' }) },
      SLIPWAY_COORDINATOR_FUNCTION: { getter: /\bfunctionNames\(\)\.coordinator\b/, value: () => ({ Ref: 'CoordinatorFunction' }) },
      SLIPWAY_SINK_FUNCTION: { getter: /\bfunctionNames\(\)\.sink\b/, value: () => ({ Ref: 'SinkFunction' }) },
      SLIPWAY_MSK_CLUSTER_ARN: { getter: /\bmskClusterArn\(\)/, value: () => ({ Ref: 'MskClusterArn' }) },
      // Unset locally (plaintext, no VPC); in AWS the sink mappings must reach the brokers as the functions do.
      SLIPWAY_KAFKA_AUTH: { getter: /\bkafkaSourceAccess\(\)/, value: () => ({ Ref: 'KafkaAuth' }) },
      SLIPWAY_KAFKA_AUTH_SECRET_ARN: { getter: /\bkafkaSourceAccess\(\)/, value: () => ({ Ref: 'KafkaAuthSecretArn' }) },
      SLIPWAY_KAFKA_ROOT_CA_SECRET_ARN: { getter: /\bkafkaSourceAccess\(\)/, value: () => ({ Ref: 'KafkaRootCaSecretArn' }) },
      SLIPWAY_KAFKA_VPC_SUBNETS: { getter: /\bkafkaSourceAccess\(\)/, value: () => ({ 'Fn::Join': [',', { Ref: 'SubnetIds' }] }) },
      SLIPWAY_KAFKA_VPC_SECURITY_GROUPS: { getter: /\bkafkaSourceAccess\(\)/, value: () => ({ 'Fn::Join': [',', { Ref: 'SecurityGroupIds' }] }) },
    };
    /** Read with a default that is right everywhere. */
    const optional = new Set(['SLIPWAY_LOG_LEVEL']);

    it('knows every variable the runtime reads (a new one needs a decision here)', () => {
      expect(names.size).toBeGreaterThan(5);
      for (const name of names) {
        if (name.startsWith('AWS_')) continue; // the SDK's and the Lambda runtime's own
        expect(tunables.has(name) || name in deployment || optional.has(name), `${name}: tunable, deployment or optional?`).toBe(true);
      }
    });

    it.each(functions)('%s has every variable its handler needs, pointing at the right resource', (_name, resource) => {
      const handlerSource = source(((resource.Metadata?.BuildProperties as Obj).EntryPoints as string[])[0]!);
      const env = envOf(resource);
      for (const [key, { getter, value }] of Object.entries(deployment)) {
        if (!getter.test(handlerSource)) continue;
        expect(env[key], key).toEqual(value(resource));
      }
    });

    it("gives the sink function the V8 options slipway dev runs it with, and keeps source maps", () => {
      const options = String(envOf(fn('SinkFunction')).NODE_OPTIONS).split(/\s+/);
      expect(options).toEqual(expect.arrayContaining(['--enable-source-maps', ...SINK_NODE_OPTIONS.split(' ')]));
    });

    it('sets only variables the code reads', () => {
      const everything = fs.readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => source(path.join('src', f))).join('\n');
      for (const [name, resource] of functions) {
        for (const key of Object.keys(envOf(resource))) {
          if (key === 'NODE_OPTIONS') continue;
          expect(everything.includes(`'${key}'`) || everything.includes(`env.${key}`), `${name}: ${key} is read somewhere in src/`).toBe(true);
        }
      }
    });

    it('gives the worker every lease and hand-off setting, and the coordinator its launch grace', () => {
      const worker = envOf(fn('WorkerFunction'));
      for (const key of ['SLIPWAY_LEASE_TTL_MS', 'SLIPWAY_LEASE_RENEW_MS', 'SLIPWAY_SAFETY_BUFFER_MS', 'SLIPWAY_OFFSET_FLUSH_INTERVAL_MS', 'SLIPWAY_HANDOFF_WAIT_MS']) {
        expect(tunables.has(key), `${key} is read`).toBe(true);
        expect(worker[key], key).toBeDefined();
      }
      expect(envOf(fn('CoordinatorFunction')).SLIPWAY_LAUNCH_GRACE_MS).toBeDefined();
    });

    it('leaves a worker time to hand off: safety buffer and lease TTL well inside its timeout', () => {
      const worker = envOf(fn('WorkerFunction'));
      const timeoutMs = Number(template.Parameters.WorkerTimeoutSeconds!.MinValue) * 1000;
      expect(maxOf(worker.SLIPWAY_SAFETY_BUFFER_MS)).toBeLessThan(timeoutMs / 2);
      const ttl = Number(template.Parameters.LeaseTtlMs!.Default);
      expect(Number(template.Parameters.LeaseRenewMs!.Default)).toBeLessThanOrEqual(ttl / 3);
    });
  });

  it('fires the coordinator every minute and serves the REST API on every path (HTTP API, payload 2.0)', () => {
    const scheduled = Object.values(fn('CoordinatorFunction').Properties.Events as Record<string, { Type: string; Properties: Obj }>);
    expect(scheduled).toContainEqual(expect.objectContaining({ Type: 'Schedule', Properties: expect.objectContaining({ Schedule: 'rate(1 minute)' }) }));
    const routes = Object.values(fn('ApiFunction').Properties.Events as Record<string, { Type: string; Properties: Obj }>);
    for (const route of ['/', '/{proxy+}']) {
      expect(routes).toContainEqual({ Type: 'HttpApi', Properties: { Path: route, Method: 'ANY', PayloadFormatVersion: '2.0' } });
    }
  });

  it('puts the functions in a VPC only when subnets are given', () => {
    expect(template.Parameters.KafkaBootstrapServers?.Type).toBe('String');
    expect(template.Parameters.SubnetIds?.Type).toBe('CommaDelimitedList');
    expect(template.Parameters.SecurityGroupIds?.Type).toBe('CommaDelimitedList');
    const vpc = template.Globals.Function.VpcConfig as { 'Fn::If': [string, unknown, unknown] };
    expect(vpc['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
    expect(template.Conditions[vpc['Fn::If'][0]]).toBeDefined();
  });

  it('reserves concurrency per function when asked to', () => {
    for (const [name, resource] of functions) {
      const reserved = resource.Properties.ReservedConcurrentExecutions as { 'Fn::If': [string, { Ref: string }, unknown] };
      expect(reserved?.['Fn::If'], name).toBeDefined();
      expect(template.Parameters[reserved['Fn::If'][1].Ref]?.Type, name).toBe('Number');
    }
  });

  it('outputs the API URL, the table and the function names', () => {
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'TableName', 'WorkerFunctionName', 'CoordinatorFunctionName', 'ApiFunctionName']));
    expect(template.Outputs.ApiUrl!.Value).toEqual({ 'Fn::Sub': expect.stringContaining('${ServerlessHttpApi}') });
    expect(template.Outputs.TableName!.Value).toEqual({ Ref: 'Table' });
  });
});
