// `slipway delete NAME`: DELETE /connectors/{name}.
import { connectorActionCommand } from './connector-action.js';

export const deleteCommand = connectorActionCommand({
  name: 'delete',
  summary: 'delete a connector (its tasks stop)',
  description: 'Deletes the connector with its tasks and stored offsets.',
  method: 'DELETE',
  suffix: '',
  done: 'deleted',
});
