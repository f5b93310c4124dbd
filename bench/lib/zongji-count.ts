// The "zongji alone" baseline of `npm run bench -- cdc`, run as a process of its
// own (as the worker is):
//
//   node --import tsx bench/lib/zongji-count.ts JSON
//
// JSON: {"host","port","user","password","file","pos","rows","serverId"}. Reads
// the binlog from file/pos with the same zongji options the connector uses
// (row events decoded into JS values, dates as strings, UTC) and counts rows of
// write/update/delete events until `rows` were seen. Nothing else is done per
// row: this is the decoder's own speed. Prints {"rows", "ms"} where ms runs from
// the first row event to the last.
import ZongJi from '@vlasky/zongji';

interface Args {
  host: string;
  port: number;
  user: string;
  password: string;
  file: string;
  pos: number;
  rows: number;
  serverId: number;
}

function main(): void {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const zj = new ZongJi({ host: args.host, port: args.port, user: args.user, password: args.password, timezone: 'Z', dateStrings: true });
  let rows = 0;
  let first = 0;
  const timer = setTimeout(() => fail(new Error(`only ${rows} of ${args.rows} rows within 300 s`)), 300_000);
  function fail(err: Error): void {
    console.error(`zongji counter failed: ${err.message}`);
    process.exit(1);
  }
  zj.on('error', fail);
  zj.on('binlog', (event) => {
    const name = event.getEventName();
    if (name !== 'writerows' && name !== 'updaterows' && name !== 'deleterows') return;
    if (rows === 0) first = performance.now();
    rows += (event as unknown as { rows: unknown[] }).rows.length;
    if (rows >= args.rows) {
      const ms = performance.now() - first;
      clearTimeout(timer);
      process.stdout.write(`${JSON.stringify({ rows, ms })}\n`);
      zj.stop();
      setTimeout(() => process.exit(0), 100).unref();
    }
  });
  zj.start({ serverId: args.serverId, filename: args.file, position: args.pos, includeEvents: ['rotate', 'tablemap', 'writerows', 'updaterows', 'deleterows'] });
}

main();
