// Function aliases of the Lambda emulator: the alias operations of the Lambda
// API (restJson1), enough for the coordinator to give each sink connector an
// alias of the sink function and point its event source mapping at it:
//
//   POST   /2015-03-31/functions/{FunctionName}/aliases          CreateAlias → 201
//   GET    /2015-03-31/functions/{FunctionName}/aliases          ListAliases (?Marker, MaxItems) → 200
//   GET    /2015-03-31/functions/{FunctionName}/aliases/{Name}   GetAlias → 200
//   PUT    /2015-03-31/functions/{FunctionName}/aliases/{Name}   UpdateAlias → 200
//   DELETE /2015-03-31/functions/{FunctionName}/aliases/{Name}   DeleteAlias → 204
//
// The emulator has no published versions, so every alias points at $LATEST
// (FunctionVersion "$LATEST"). An invocation through `name:alias` runs $LATEST
// with context.invokedFunctionArn ending in `:alias`. Aliases persist in the
// data dir with the event source mappings that name them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { Logger } from '../../logging.js';
import { LambdaApiError } from './errors.js';
import { invalid, readJson, sendJson } from './event-source-mappings.js';
import { sendApiError } from './http.js';

export interface AliasHost {
  /** The unqualified ARN of a defined function, or undefined. */
  functionArn(name: string): string | undefined;
  /** A FunctionName path parameter (name or ARN) → the function's name. */
  functionNameOf(raw: string): string | undefined;
}

interface Alias {
  Name: string;
  FunctionVersion: string;
  Description: string;
  RevisionId: string;
}

const ROUTE = /^\/2015-03-31\/functions\/([^/]+)\/aliases\/?(?:([^/]+)\/?)?$/;
/** Lambda alias names: 1-128 of [a-zA-Z0-9_-], not all digits. */
const ALIAS_NAME = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/;
const LATEST = '$LATEST';

export class FunctionAliases {
  /** function name → alias name → alias */
  private readonly aliases = new Map<string, Map<string, Alias>>();

  constructor(
    private readonly host: AliasHost,
    private readonly logger: Logger,
    private readonly stateFile?: string,
  ) {
    if (stateFile && fs.existsSync(stateFile)) {
      const data = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Record<string, Alias[]>;
      for (const [fn, list] of Object.entries(data)) this.aliases.set(fn, new Map(list.map((a) => [a.Name, a])));
    }
  }

  has(functionName: string, alias: string): boolean {
    return this.aliases.get(functionName)?.has(alias) ?? false;
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = ROUTE.exec(url.pathname);
    if (!m) return false;
    void this.serve(req, res, url, decodeURIComponent(m[1]!), m[2] === undefined ? undefined : decodeURIComponent(m[2]));
    return true;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL, rawFunction: string, name: string | undefined): Promise<void> {
    try {
      const fn = this.host.functionNameOf(rawFunction);
      const arn = fn === undefined ? undefined : this.host.functionArn(fn);
      if (fn === undefined || arn === undefined) throw new LambdaApiError('ResourceNotFoundException', `Function not found: ${rawFunction}`);
      const method = req.method ?? 'GET';
      if (name === undefined && method === 'POST') return sendJson(res, 201, this.view(arn, this.create(fn, arn, await readJson(req))));
      if (name === undefined && method === 'GET') return sendJson(res, 200, this.list(fn, arn, url.searchParams));
      if (name !== undefined && method === 'GET') return sendJson(res, 200, this.view(arn, this.get(fn, arn, name)));
      if (name !== undefined && method === 'PUT') return sendJson(res, 200, this.view(arn, this.update(fn, arn, name, await readJson(req))));
      if (name !== undefined && method === 'DELETE') {
        // As Lambda: deleting an alias that is not there is not an error.
        if (this.aliases.get(fn)?.delete(name)) this.save();
        res.writeHead(204, { 'x-amzn-RequestId': crypto.randomUUID() }).end();
        return;
      }
      throw new LambdaApiError('InvalidRequestContentException', `${method} ${url.pathname} is not an operation of the Lambda API`);
    } catch (err) {
      if (!(err instanceof LambdaApiError)) this.logger.error('alias request failed', { err });
      sendApiError(res, err instanceof LambdaApiError ? err : new LambdaApiError('ServiceException', String(err)));
    }
  }

  private create(fn: string, arn: string, body: Record<string, unknown>): Alias {
    const name = body.Name;
    if (typeof name !== 'string' || !ALIAS_NAME.test(name)) invalid('Name', `must be 1-128 of [a-zA-Z0-9_-] and not all digits, got ${JSON.stringify(name)}`);
    const list = this.aliases.get(fn) ?? new Map<string, Alias>();
    if (list.has(name)) throw new LambdaApiError('ResourceConflictException', `Alias already exists: ${arn}:${name}`);
    const alias: Alias = { Name: name, FunctionVersion: versionOf(body.FunctionVersion), Description: descriptionOf(body.Description), RevisionId: crypto.randomUUID() };
    list.set(name, alias);
    this.aliases.set(fn, list);
    this.save();
    return alias;
  }

  private get(fn: string, arn: string, name: string): Alias {
    const alias = this.aliases.get(fn)?.get(name);
    if (!alias) throw new LambdaApiError('ResourceNotFoundException', `Alias not found: ${arn}:${name}`);
    return alias;
  }

  private update(fn: string, arn: string, name: string, body: Record<string, unknown>): Alias {
    const alias = this.get(fn, arn, name);
    if (body.RevisionId !== undefined && body.RevisionId !== alias.RevisionId) {
      throw new LambdaApiError('InvalidParameterValueException', 'RevisionId: the alias was changed since that revision');
    }
    if (body.FunctionVersion !== undefined) alias.FunctionVersion = versionOf(body.FunctionVersion);
    if (body.Description !== undefined) alias.Description = descriptionOf(body.Description);
    alias.RevisionId = crypto.randomUUID();
    this.save();
    return alias;
  }

  private list(fn: string, arn: string, params: URLSearchParams): { Aliases: Record<string, unknown>[]; NextMarker?: string } {
    const all = [...(this.aliases.get(fn)?.values() ?? [])].sort((a, b) => a.Name.localeCompare(b.Name));
    const maxItems = params.get('MaxItems') === null ? 50 : Number(params.get('MaxItems'));
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10_000) invalid('MaxItems', 'must be an integer in [1, 10000]');
    const marker = params.get('Marker');
    const start = marker === null ? 0 : all.findIndex((a) => a.Name > marker);
    const page = start < 0 ? [] : all.slice(start, start + maxItems);
    const more = start >= 0 && start + maxItems < all.length;
    return { Aliases: page.map((a) => this.view(arn, a)), ...(more ? { NextMarker: page[page.length - 1]!.Name } : {}) };
  }

  private view(arn: string, a: Alias): Record<string, unknown> {
    return { AliasArn: `${arn}:${a.Name}`, Name: a.Name, FunctionVersion: a.FunctionVersion, Description: a.Description, RevisionId: a.RevisionId };
  }

  private save(): void {
    if (!this.stateFile) return;
    fs.mkdirSync(path.dirname(this.stateFile), { recursive: true });
    const data = Object.fromEntries([...this.aliases].map(([fn, list]) => [fn, [...list.values()]]));
    const tmp = `${this.stateFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data, null, 2));
    fs.renameSync(tmp, this.stateFile);
  }
}

function versionOf(raw: unknown): string {
  if (raw !== LATEST) invalid('FunctionVersion', `the emulator has no published versions; an alias points at "$LATEST", got ${JSON.stringify(raw)}`);
  return LATEST;
}

function descriptionOf(raw: unknown): string {
  if (raw === undefined) return '';
  if (typeof raw !== 'string' || raw.length > 256) invalid('Description', 'must be a string of at most 256 characters');
  return raw;
}
