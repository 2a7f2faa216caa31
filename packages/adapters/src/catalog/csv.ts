/** A record as it stood in the file: `line` is where it starts (a quoted field may span lines). */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(readonly line: number, reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'CsvSyntaxError';
  }
}

/** A field longer than this is a broken file (an unclosed quote), not data: stop before memory goes. */
export const MAX_FIELD_CHARS = 64 * 1024;
export const MAX_FIELDS = 256;

const QUOTED_RUN = /[^"\r\n]+/y;
const PLAIN_RUN = /[^,"\r\n]+/y;

/**
 * RFC 4180 records from a stream of chunks, one at a time: memory is one record, whatever the file
 * size. Quoted fields may hold commas, quotes ("") and line breaks; CRLF and LF both end a record;
 * a UTF-8 BOM is dropped; blank lines are skipped. Chunks may split anywhere, even inside a
 * multi-byte character (the decoder joins them); bytes that are not UTF-8 are an error, not U+FFFD.
 */
export async function* parseCsv(source: AsyncIterable<string | Uint8Array>): AsyncGenerator<CsvRecord> {
  // Fatal: a file saved in another encoding (Windows-1252 "Café") would otherwise import as "Caf\uFFFD".
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let quoteSeen = false; // the previous char closed a quote (or is the first of "")
  let fieldStarted = false;
  let line = 1;
  let recordLine = 1;
  let first = true;
  let pendingCR = false;
  let quotedCR = false;
  /** The line of the first undecodable byte, counted from where this chunk starts. */
  const notUtf8 = (chunk: Uint8Array) => {
    const lenient = new TextDecoder('utf-8').decode(chunk);
    const at = lenient.indexOf('\uFFFD');
    return new CsvSyntaxError(line + (lenient.slice(0, Math.max(0, at)).match(/\r\n|\r|\n/g)?.length ?? 0), 'the file is not UTF-8 text (save it as "CSV UTF-8")');
  };

  const endField = () => {
    if (fields.length >= MAX_FIELDS) throw new CsvSyntaxError(recordLine, `more than ${MAX_FIELDS} fields`);
    fields.push(field);
    field = '';
    fieldStarted = false;
    quoteSeen = false;
  };

  for await (const chunk of source) {
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else {
      try { text = decoder.decode(chunk, { stream: true }); } catch { throw notUtf8(chunk); }
    }
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const out: CsvRecord[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (pendingCR) {
        pendingCR = false;
        if (c === '\n') continue;
      }
      if (inQuotes) {
        // Fast path: copy a run of ordinary characters in one slice.
        QUOTED_RUN.lastIndex = i;
        const run = QUOTED_RUN.exec(text);
        if (run && run[0].length > 0) {
          field += run[0];
          i += run[0].length - 1;
          quotedCR = false;
          if (field.length > MAX_FIELD_CHARS) throw new CsvSyntaxError(recordLine, `a field is longer than ${MAX_FIELD_CHARS} characters (unclosed quote?)`);
          continue;
        }
        if (c === '"') { inQuotes = false; quoteSeen = true; quotedCR = false; continue; }
        // CRLF, LF and a lone CR each count as one line break, also across chunk boundaries.
        if (c === '\r' || (c === '\n' && !quotedCR)) line += 1;
        quotedCR = c === '\r';
        field += c;
        if (field.length > MAX_FIELD_CHARS) throw new CsvSyntaxError(recordLine, `a field is longer than ${MAX_FIELD_CHARS} characters (unclosed quote?)`);
        continue;
      }
      if (c === '"') {
        if (quoteSeen) { field += '"'; inQuotes = true; quoteSeen = false; continue; }
        if (fieldStarted) throw new CsvSyntaxError(line, 'a quote inside an unquoted field (quote the whole field and double the quote)');
        inQuotes = true;
        fieldStarted = true;
        continue;
      }
      if (c === ',') { endField(); fieldStarted = false; continue; }
      if (c === '\n' || c === '\r') {
        if (c === '\r') pendingCR = true;
        endField();
        if (!(fields.length === 1 && fields[0] === '')) out.push({ line: recordLine, fields });
        fields = [];
        line += 1;
        recordLine = line;
        continue;
      }
      if (quoteSeen) throw new CsvSyntaxError(line, 'text after a closing quote');
      PLAIN_RUN.lastIndex = i;
      const run = PLAIN_RUN.exec(text)![0];
      field += run;
      i += run.length - 1;
      fieldStarted = true;
      if (field.length > MAX_FIELD_CHARS) throw new CsvSyntaxError(recordLine, `a field is longer than ${MAX_FIELD_CHARS} characters`);
    }
    for (const r of out) yield r;
  }
  try { decoder.decode(); } catch { throw new CsvSyntaxError(line, 'the file ends inside a UTF-8 character'); }
  if (inQuotes) throw new CsvSyntaxError(recordLine, 'a quoted field is never closed');
  if (fieldStarted || quoteSeen || fields.length > 0) {
    endField();
    yield { line: recordLine, fields };
  }
}

/**
 * Records as objects keyed by the header (first record), lower-cased and trimmed. Missing trailing
 * cells read as ''; extra cells are an error the caller reports against the line.
 */
export async function* csvObjects(source: AsyncIterable<string | Uint8Array>): AsyncGenerator<{ line: number; header: readonly string[]; record: Record<string, string>; extra: boolean }> {
  let header: string[] | null = null;
  for await (const r of parseCsv(source)) {
    if (header === null) { header = r.fields.map((f) => f.trim().toLowerCase()); continue; }
    const record: Record<string, string> = {};
    header.forEach((name, i) => { record[name] = unguardCell(r.fields[i] ?? ''); });
    yield { line: r.line, header, record, extra: r.fields.length > header.length };
  }
}

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV line (with CRLF). Text that a spreadsheet would run as a formula (=, +, -, @) gets a
 * leading apostrophe (OWASP CSV injection); `csvObjects` removes it again on import.
 */
export function csvLine(cells: ReadonlyArray<string | number | null | undefined>, options: { guard?: boolean } = {}): string {
  return `${cells.map((cell) => {
    if (cell === null || cell === undefined) return '';
    let text = typeof cell === 'number' ? String(cell) : cell;
    if (typeof cell === 'string' && options.guard !== false && FORMULA_START.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
  }).join(',')}\r\n`;
}

function unguardCell(text: string): string {
  return text.length > 1 && text[0] === "'" && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}
