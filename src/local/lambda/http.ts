// The Invoke API on the wire (restJson1), as @aws-sdk/client-lambda speaks it:
//
//   POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=q]
//     X-Amz-Invocation-Type: RequestResponse (default) | Event | DryRun
//     X-Amz-Log-Type: None | Tail
//     X-Amz-Client-Context: base64(JSON)
//     body: the event (JSON)
//
//   RequestResponse → 200, body = the result or {errorType, errorMessage, trace}
//                     X-Amz-Executed-Version, [X-Amz-Function-Error], [X-Amz-Log-Result]
//   Event → 202, empty body        DryRun → 204, empty body
//   API errors → see errors.ts
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { InvokeResult } from './emulator.js';
import type { LambdaApiError } from './errors.js';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

/** The function name and qualifier of an Invoke request, or null if the request is not one. */
export function matchInvokePath(req: http.IncomingMessage): { functionName: string; qualifier?: string } | null {
  if (req.method !== 'POST') return null;
  const url = new URL(req.url ?? '/', 'http://localhost');
  const m = INVOKE_PATH.exec(url.pathname);
  if (!m) return null;
  let functionName: string;
  try {
    functionName = decodeURIComponent(m[1]!);
  } catch {
    functionName = m[1]!;
  }
  return { functionName, qualifier: url.searchParams.get('Qualifier') ?? undefined };
}

/** The request body, keeping at most `cap` bytes (the rest is read and dropped, so a caller can tell it was too large). */
export function readBody(req: http.IncomingMessage, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    req.on('data', (chunk: Buffer) => {
      if (kept >= cap) return;
      const part = chunk.subarray(0, cap - kept);
      chunks.push(part);
      kept += part.length;
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendInvokeResult(res: http.ServerResponse, result: InvokeResult): void {
  const headers: http.OutgoingHttpHeaders = {
    'Content-Type': 'application/json',
    'Content-Length': result.payload.length,
    'X-Amz-Executed-Version': result.executedVersion,
    'x-amzn-RequestId': result.requestId,
  };
  if (result.functionError) headers['X-Amz-Function-Error'] = result.functionError;
  if (result.logResult) headers['X-Amz-Log-Result'] = result.logResult;
  res.writeHead(result.statusCode, headers).end(result.payload);
}

export function sendApiError(res: http.ServerResponse, err: LambdaApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(err.body());
  res
    .writeHead(err.statusCode, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'x-amzn-ErrorType': err.type,
      'x-amzn-RequestId': randomUUID(),
    })
    .end(body);
}
