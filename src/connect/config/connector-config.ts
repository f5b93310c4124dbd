// The configs every connector takes, under Kafka Connect's names and groups
// (ConnectorConfig, SourceConnectorConfig, SinkConnectorConfig). A plugin's own
// spec is merged onto these: `connectorBaseConfig.merge(mySpec)`.
//
// Differences from Kafka Connect, on purpose:
// - The dead letter queue settings apply to sources too.
// - errors.deadletterqueue.topic.replication.factor defaults to -1 (the
//   broker's default) instead of 3, which fails on a single-broker dev cluster.
// - `slipway.*` keys configure what Kafka Connect lacks (automatic restarts).

import type { ConfigIssue } from '../errors.js';
import { atLeast, defineConfig, nonEmptyString, oneOf, uniqueList, validator } from './config-def.js';

const COMMON = 'Common';
const TRANSFORMS = 'Transforms';
const PREDICATES = 'Predicates';
const ERRORS = 'Error Handling';
const TOPIC_CREATION = 'Topic Creation';
const SLIPWAY = 'Slipway';

/** -1 (the broker's default) or a positive number. */
const brokerDefaultOrPositive = validator('-1 or [1,...]', (v) => (typeof v === 'number' && (v === -1 || v >= 1) ? undefined : 'Value must be -1 (broker default) or at least 1'));

export const connectorBaseConfig = defineConfig([
  { name: 'name', type: 'string', required: true, validator: nonEmptyString, importance: 'high', group: COMMON, width: 'medium', displayName: 'Connector name', doc: 'Globally unique name to use for this connector.' },
  {
    name: 'connector.class',
    type: 'string',
    required: true,
    validator: nonEmptyString,
    importance: 'high',
    group: COMMON,
    width: 'long',
    displayName: 'Connector class',
    doc: 'Name or alias of the class for this connector, e.g. org.apache.kafka.connect.file.FileStreamSourceConnector, FileStreamSourceConnector or FileStreamSource.',
  },
  { name: 'tasks.max', type: 'int', default: 1, validator: atLeast(1), importance: 'high', group: COMMON, width: 'short', displayName: 'Tasks max', doc: 'Maximum number of tasks to use for this connector.' },
  {
    name: 'key.converter',
    type: 'class',
    default: null,
    importance: 'low',
    group: COMMON,
    width: 'short',
    displayName: 'Key converter class',
    doc: 'Converter class (or alias) for record keys, between the Connect format and the bytes in Kafka. Defaults to the worker setting (JsonConverter).',
  },
  {
    name: 'value.converter',
    type: 'class',
    default: null,
    importance: 'low',
    group: COMMON,
    width: 'short',
    displayName: 'Value converter class',
    doc: 'Converter class (or alias) for record values, between the Connect format and the bytes in Kafka. Defaults to the worker setting (JsonConverter).',
  },
  { name: 'header.converter', type: 'class', default: null, importance: 'low', group: COMMON, width: 'short', displayName: 'Header converter class', doc: 'HeaderConverter class for record headers. Defaults to the worker setting.' },
  {
    name: 'config.action.reload',
    type: 'string',
    default: 'restart',
    validator: oneOf(['none', 'restart'], { caseInsensitive: true }),
    importance: 'low',
    group: COMMON,
    width: 'medium',
    displayName: 'Reload action',
    doc: 'What to do when a config provider reports a changed value: restart the connector, or nothing.',
  },
  { name: 'transforms', type: 'list', default: [], validator: uniqueList, importance: 'low', group: TRANSFORMS, width: 'long', displayName: 'Transforms', doc: 'Aliases for the transformations to be applied to records, in order.' },
  { name: 'predicates', type: 'list', default: [], validator: uniqueList, importance: 'low', group: PREDICATES, width: 'long', displayName: 'Predicates', doc: 'Aliases for the predicates used by transformations.' },
  {
    name: 'errors.retry.timeout',
    type: 'long',
    default: 0,
    validator: atLeast(-1),
    importance: 'medium',
    group: ERRORS,
    width: 'medium',
    displayName: 'Retry timeout for errors',
    doc: 'The maximum duration in milliseconds that a failed operation is retried. 0 (the default) means no retries; -1 means retry forever.',
  },
  {
    name: 'errors.retry.delay.max.ms',
    type: 'long',
    default: 60000,
    validator: atLeast(0),
    importance: 'medium',
    group: ERRORS,
    width: 'medium',
    displayName: 'Maximum delay between retries for errors',
    doc: 'The maximum duration in milliseconds between consecutive retries; jitter is added once this limit is reached.',
  },
  {
    name: 'errors.tolerance',
    type: 'string',
    default: 'none',
    validator: oneOf(['none', 'all'], { caseInsensitive: true }),
    importance: 'medium',
    group: ERRORS,
    width: 'short',
    displayName: 'Error tolerance',
    doc: "Behavior for tolerating errors during connector operation. 'none' (the default) fails the task on any error; 'all' skips problematic records.",
  },
  { name: 'errors.log.enable', type: 'boolean', default: false, importance: 'medium', group: ERRORS, width: 'short', displayName: 'Log errors', doc: 'If true, write each error and the details of the failed operation and problematic record to the log.' },
  {
    name: 'errors.log.include.messages',
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: ERRORS,
    width: 'short',
    displayName: 'Log error messages',
    doc: 'Whether to include the record (key, value, headers) in the log when logging errors. Off by default so that no record data reaches the logs.',
  },
  {
    name: 'errors.deadletterqueue.topic.name',
    type: 'string',
    default: '',
    importance: 'medium',
    group: ERRORS,
    width: 'medium',
    displayName: 'Dead letter queue topic name',
    doc: 'The name of the topic to use as a dead letter queue for records that fail (with errors.tolerance=all). Empty: no dead letter queue. Applies to sinks and, in Slipway, to sources.',
  },
  {
    name: 'errors.deadletterqueue.topic.replication.factor',
    type: 'int',
    default: -1,
    validator: brokerDefaultOrPositive,
    importance: 'medium',
    group: ERRORS,
    width: 'medium',
    displayName: 'Dead letter queue topic replication factor',
    doc: 'Replication factor used to create the dead letter queue topic when it does not exist. -1: the broker default.',
  },
  {
    name: 'errors.deadletterqueue.context.headers.enable',
    type: 'boolean',
    default: false,
    importance: 'medium',
    group: ERRORS,
    width: 'medium',
    displayName: 'Enable error context headers',
    doc: 'If true, add __connect.errors.* headers with the error context to records written to the dead letter queue.',
  },
  {
    name: 'topic.creation.default.partitions',
    type: 'int',
    default: null,
    validator: brokerDefaultOrPositive,
    importance: 'low',
    group: TOPIC_CREATION,
    width: 'short',
    displayName: 'Partitions for new topics',
    doc: 'Number of partitions for topics this connector creates. -1: the broker default. Unset: topic creation is left to the broker (auto.create.topics.enable).',
  },
  {
    name: 'topic.creation.default.replication.factor',
    type: 'int',
    default: null,
    validator: brokerDefaultOrPositive,
    importance: 'low',
    group: TOPIC_CREATION,
    width: 'short',
    displayName: 'Replication factor for new topics',
    doc: 'Replication factor for topics this connector creates. -1: the broker default.',
  },
  {
    name: 'slipway.auto.restart.enabled',
    type: 'boolean',
    default: false,
    importance: 'low',
    group: SLIPWAY,
    width: 'short',
    displayName: 'Restart failed tasks automatically',
    doc: "Restart a FAILED task automatically with exponential backoff (Strimzi's autoRestart). Off by default, as in Kafka Connect.",
  },
  {
    name: 'slipway.auto.restart.max.restarts',
    type: 'int',
    default: -1,
    validator: atLeast(-1),
    importance: 'low',
    group: SLIPWAY,
    width: 'short',
    displayName: 'Maximum automatic restarts',
    doc: 'How many times a failed task is restarted automatically before it stays FAILED. -1: no limit.',
  },
]);

export type ConnectorBaseConfig = ReturnType<typeof connectorBaseConfig.parse>;

function sinkTopicsCheck(values: Readonly<Record<string, unknown>>): ConfigIssue[] {
  const topics = (values['topics'] as string[] | null) ?? [];
  const pattern = (values['topics.regex'] as string | null) ?? '';
  if (topics.length > 0 && pattern !== '') {
    return [{ field: 'topics', message: 'topics and topics.regex are mutually exclusive: configure only one of them' }];
  }
  if (topics.length === 0 && pattern === '') return [{ field: 'topics', message: 'Must configure one of topics or topics.regex' }];
  if (pattern !== '') {
    try {
      new RegExp(pattern);
    } catch (err) {
      return [{ field: 'topics.regex', message: `Invalid value ${pattern} for configuration topics.regex: ${(err as Error).message}` }];
    }
  }
  return [];
}

/** The keys only sink connectors take: the topics to consume. */
export const sinkConnectorConfig = defineConfig(
  [
    { name: 'topics', type: 'list', default: [], validator: uniqueList, importance: 'high', group: COMMON, width: 'long', displayName: 'Topics', doc: 'List of topics to consume, separated by commas.' },
    { name: 'topics.regex', type: 'string', default: '', importance: 'high', group: COMMON, width: 'long', displayName: 'Topics regex', doc: 'Regular expression giving the topics to consume. Exactly one of topics and topics.regex must be set.' },
  ],
  { checks: [sinkTopicsCheck] },
);

export const sinkConnectorBaseConfig = connectorBaseConfig.merge(sinkConnectorConfig);
