// Starting functions: always an async (Event) Invoke with identifiers only, never
// configs or records (async payloads are limited to 1 MB).
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';

export function createAsyncInvoker<E extends object>(lambda: LambdaClient, functionName: string): (event: E) => Promise<void> {
  return async (event) => {
    const res = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(event)) }));
    if (res.StatusCode !== 202) throw new Error(`async invoke of ${functionName} answered ${res.StatusCode}`);
  };
}
