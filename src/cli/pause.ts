// `slipway pause NAME`: PUT /connectors/{name}/pause.
import { connectorActionCommand } from './connector-action.js';

export const pauseCommand = connectorActionCommand({
  name: 'pause',
  summary: 'pause a connector and its tasks',
  description: 'Pauses the connector: its tasks stop polling and keep their offsets. `slipway resume` starts them again.',
  method: 'PUT',
  suffix: '/pause',
  done: 'pause requested',
});
