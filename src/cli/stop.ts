// `slipway stop NAME`: PUT /connectors/{name}/stop, the state in which
// offsets may be reset (`slipway offsets NAME --reset`).
import { connectorActionCommand } from './connector-action.js';

export const stopCommand = connectorActionCommand({
  name: 'stop',
  summary: 'stop a connector: no tasks, offsets kept (they can then be reset)',
  description: 'Stops the connector: its tasks end and vanish from its status; its config and offsets are kept.\nA stopped connector\'s offsets can be reset with `slipway offsets NAME --reset`.',
  method: 'PUT',
  suffix: '/stop',
  done: 'stop requested',
});
