// `slipway resume NAME`: PUT /connectors/{name}/resume.
import { connectorActionCommand } from './connector-action.js';

export const resumeCommand = connectorActionCommand({
  name: 'resume',
  summary: 'resume a paused or stopped connector',
  description: 'Resumes a paused or stopped connector: its tasks start again from their stored offsets.',
  method: 'PUT',
  suffix: '/resume',
  done: 'resume requested',
});
