// Java SimpleDateFormat patterns as users write them in TimestampRouter and
// TimestampConverter configs, always in UTC (as Kafka's transforms use).
//
// Supported letters: y (yyyy, yy), M (MM, M, MMM), d, H, h, a, m, s, S (SSS),
// E (EEE), X/Z (zone: always UTC here), and 'quoted' literals ('' is a quote).
// Users often write `YYYY` (Java's week-based year) meaning the calendar year;
// we treat Y as y on purpose, because the week-year differs only in the last
// days of December and the first of January, where it routes records to a
// topic of the wrong year — never what a `YYYYMM` topic name means.
// Any other letter is refused at configure time, so a typo is a 400.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

type Token = { kind: 'lit'; text: string } | { kind: 'field'; letter: string; count: number };

export class JavaDateFormat {
  readonly #tokens: Token[];

  /** Throws Error with a message naming the bad part of the pattern. */
  constructor(readonly pattern: string) {
    this.#tokens = tokenize(pattern);
  }

  format(date: Date): string {
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    let out = '';
    for (const t of this.#tokens) {
      if (t.kind === 'lit') {
        out += t.text;
        continue;
      }
      const c = t.count;
      switch (t.letter) {
        case 'y': {
          const y = date.getUTCFullYear();
          out += c === 2 ? pad(y % 100, 2) : pad(y, c);
          break;
        }
        case 'M':
          out += c >= 3 ? MONTHS[date.getUTCMonth()] : pad(date.getUTCMonth() + 1, c);
          break;
        case 'd':
          out += pad(date.getUTCDate(), c);
          break;
        case 'H':
          out += pad(date.getUTCHours(), c);
          break;
        case 'h':
          out += pad(date.getUTCHours() % 12 || 12, c);
          break;
        case 'a':
          out += date.getUTCHours() < 12 ? 'AM' : 'PM';
          break;
        case 'm':
          out += pad(date.getUTCMinutes(), c);
          break;
        case 's':
          out += pad(date.getUTCSeconds(), c);
          break;
        case 'S':
          out += pad(date.getUTCMilliseconds(), c);
          break;
        case 'E':
          out += DAYS[date.getUTCDay()];
          break;
        case 'X':
          out += 'Z';
          break;
        case 'Z':
          out += '+0000';
          break;
      }
    }
    return out;
  }

  /** Parses text written in this pattern (UTC unless it carries a zone offset); throws Error if it does not match. */
  parse(text: string): Date {
    let pos = 0;
    const f = { y: 1970, M: 1, d: 1, H: 0, m: 0, s: 0, S: 0, pm: false, h12: false, offsetMin: 0 };
    const fail = (): never => {
      throw new Error(`Unparseable date: "${text}" does not match the pattern ${this.pattern}`);
    };
    const num = (count: number, next: Token | undefined): number => {
      // A field followed by another number field is fixed-width, as Java's adjacent-value parsing.
      const fixed = next?.kind === 'field' && 'yMdHhmsS'.includes(next.letter);
      const m = (fixed ? new RegExp(`^[0-9]{${count}}`) : /^[+-]?[0-9]+/).exec(text.slice(pos));
      if (!m) fail();
      pos += m![0].length;
      return Number(m![0]);
    };
    for (let i = 0; i < this.#tokens.length; i++) {
      const t = this.#tokens[i]!;
      const next = this.#tokens[i + 1];
      if (t.kind === 'lit') {
        if (!text.startsWith(t.text, pos)) fail();
        pos += t.text.length;
        continue;
      }
      switch (t.letter) {
        case 'y': {
          const y = num(t.count, next);
          f.y = t.count === 2 && y < 100 ? 2000 + y : y;
          break;
        }
        case 'M':
          if (t.count >= 3) {
            const idx = MONTHS.findIndex((m) => text.startsWith(m, pos));
            if (idx < 0) fail();
            f.M = idx + 1;
            pos += 3;
          } else f.M = num(t.count, next);
          break;
        case 'd':
          f.d = num(t.count, next);
          break;
        case 'H':
          f.H = num(t.count, next);
          break;
        case 'h':
          f.H = num(t.count, next) % 12;
          f.h12 = true;
          break;
        case 'a':
          if (/^(AM|PM)/i.test(text.slice(pos))) {
            f.pm = text.slice(pos, pos + 2).toUpperCase() === 'PM';
            pos += 2;
          } else fail();
          break;
        case 'm':
          f.m = num(t.count, next);
          break;
        case 's':
          f.s = num(t.count, next);
          break;
        case 'S':
          f.S = num(t.count, next);
          break;
        case 'E': {
          const idx = DAYS.findIndex((d) => text.startsWith(d, pos));
          if (idx < 0) fail();
          pos += 3;
          break;
        }
        case 'X':
        case 'Z': {
          const rest = text.slice(pos);
          if (rest.startsWith('Z')) {
            pos += 1;
            break;
          }
          const m = /^([+-])(\d{2}):?(\d{2})?/.exec(rest);
          if (!m) fail();
          f.offsetMin = (m![1] === '-' ? -1 : 1) * (Number(m![2]) * 60 + Number(m![3] ?? 0));
          pos += m![0].length;
          break;
        }
      }
    }
    if (pos !== text.length) fail();
    if (f.h12 && f.pm) f.H += 12;
    const ms = Date.UTC(f.y, f.M - 1, f.d, f.H, f.m, f.s, f.S) - f.offsetMin * 60_000;
    const d = new Date(ms);
    if (f.y < 100) d.setUTCFullYear(f.y);
    if (Number.isNaN(d.getTime())) fail();
    return d;
  }
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  const lit = (s: string) => {
    const last = tokens[tokens.length - 1];
    if (last?.kind === 'lit') last.text += s;
    else tokens.push({ kind: 'lit', text: s });
  };
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === "'") {
      if (pattern[i + 1] === "'") {
        lit("'");
        i += 2;
        continue;
      }
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new Error(`Unterminated quote in date pattern ${pattern}`);
      lit(pattern.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      let j = i;
      while (pattern[j] === ch) j++;
      // Y (week year) is read as y (year): see the comment at the top.
      const letter = ch === 'Y' ? 'y' : ch;
      if (!'yMdHhamsSEXZ'.includes(letter)) throw new Error(`Illegal pattern character '${ch}' in date pattern ${pattern}`);
      tokens.push({ kind: 'field', letter, count: j - i });
      i = j;
      continue;
    }
    lit(ch);
    i++;
  }
  return tokens;
}
