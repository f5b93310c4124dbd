// How `slipway status` shows connectors: a table of all of them, and one
// connector with each task, traces indented under the failed ones.
import { describe, expect, it } from 'vitest';
import { formatStatus, formatTable, type ConnectorStatusView } from '../../src/cli/status.js';

const orders: ConnectorStatusView = {
  name: 'orders',
  type: 'source',
  connector: { state: 'RUNNING', worker_id: 'host-a:101' },
  tasks: [
    { id: 0, state: 'RUNNING', worker_id: 'host-a:101' },
    { id: 1, state: 'FAILED', worker_id: 'host-a:102', trace: 'org.apache.kafka.connect.errors.ConnectException: binlog purged\n\tat Reader.read\n' },
    { id: 10, state: 'RUNNING', worker_id: 'host-a:103' },
  ],
};

describe('slipway status', () => {
  it('tables every connector by name, counting tasks per state', () => {
    const stopped: ConnectorStatusView = { name: 'archive-sink', type: 'sink', connector: { state: 'STOPPED', worker_id: 'unassigned' }, tasks: [] };
    expect(formatTable([orders, stopped])).toBe(
      ['NAME          TYPE    STATE    TASKS', 'archive-sink  sink    STOPPED  -', 'orders        source  RUNNING  2 RUNNING, 1 FAILED', ''].join('\n'),
    );
    expect(formatTable([])).toBe('No connectors.\n');
  });

  it('shows one connector with its tasks and the trace of a failed one', () => {
    expect(formatStatus(orders)).toBe(
      [
        'Connector  orders (source)',
        'State      RUNNING  worker host-a:101',
        'Tasks',
        '  0   RUNNING  worker host-a:101',
        '  1   FAILED   worker host-a:102',
        '      org.apache.kafka.connect.errors.ConnectException: binlog purged',
        '      \tat Reader.read',
        '  10  RUNNING  worker host-a:103',
        '',
      ].join('\n'),
    );
  });

  it('shows the trace of a failed connector under its state', () => {
    const failed: ConnectorStatusView = { name: 'x', type: 'source', connector: { state: 'FAILED', worker_id: 'w', trace: 'Boom' }, tasks: [] };
    expect(formatStatus(failed)).toBe('Connector  x (source)\nState      FAILED  worker w\n           Boom\nTasks      none\n');
  });
});
