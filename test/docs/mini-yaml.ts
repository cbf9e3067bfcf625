/**
 * The YAML subset the deploy manifests are written in, parsed without a YAML package (none is
 * installed): `---` documents, full-line `#` comments, block mappings and sequences by
 * indentation, `- key: value` items, and scalars (plain, 'single' or "double" quoted, flow
 * lists of scalars `[a, "b"]`, numbers, booleans, null). Anything else (anchors, block
 * scalars, flow mappings, trailing comments) is refused with the line number, so the
 * manifests cannot drift into YAML this parser would misread.
 */
export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  readonly no: number;
  readonly indent: number;
  readonly text: string;
}

class YamlError extends Error {}

function fail(line: Line | undefined, why: string): never {
  throw new YamlError(`line ${line?.no ?? 'EOF'}: ${why}`);
}

function scalar(raw: string, line: Line): Yaml {
  const text = raw.trim();
  if (/(^|\s)#/.test(text) && !/^["']/.test(text)) fail(line, 'trailing comments are not in the subset');
  if (/^[&*!|>{]/.test(text)) fail(line, `unsupported YAML: ${text}`);
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) fail(line, 'unterminated double-quoted string');
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) fail(line, 'unterminated single-quoted string');
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) fail(line, 'unterminated flow sequence');
    const inner = text.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((part) => scalar(part, line));
  }
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~' || text === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

const KEY = /^("[^"]*"|'[^']*'|[^\s"'#][^:]*?):(?:\s+(.*))?$/;

class Parser {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  private get line(): Line | undefined {
    return this.lines[this.i];
  }

  parseAll(): Yaml {
    const first = this.line;
    if (first === undefined) return null;
    const value = this.block(first.indent);
    if (this.line !== undefined) fail(this.line, 'unexpected indentation');
    return value;
  }

  private block(indent: number): Yaml {
    const line = this.line;
    if (line === undefined) return null;
    return line.text === '-' || line.text.startsWith('- ') ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): Yaml[] {
    const items: Yaml[] = [];
    for (let line = this.line; line !== undefined && line.indent === indent && (line.text === '-' || line.text.startsWith('- ')); line = this.line) {
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        this.i++;
        const next = this.line;
        items.push(next !== undefined && next.indent > indent ? this.block(next.indent) : null);
      } else if (KEY.test(rest)) {
        // `- key: value` opens a mapping whose keys sit two columns right of the dash.
        const inner = indent + (line.text.length - rest.length);
        this.lines[this.i] = { no: line.no, indent: inner, text: rest };
        items.push(this.mapping(inner));
      } else {
        this.i++;
        items.push(scalar(rest, line));
      }
    }
    return items;
  }

  private mapping(indent: number): { [key: string]: Yaml } {
    const map: { [key: string]: Yaml } = {};
    for (let line = this.line; line !== undefined && line.indent === indent; line = this.line) {
      if (line.text.startsWith('- ')) break;
      const m = KEY.exec(line.text);
      if (m === null) fail(line, `expected "key: value", got ${line.text}`);
      const key = String(scalar(m[1] as string, line));
      if (Object.hasOwn(map, key)) fail(line, `duplicate key ${key}`);
      this.i++;
      if (m[2] !== undefined && m[2] !== '') {
        map[key] = scalar(m[2], line);
        continue;
      }
      const next = this.line;
      if (next !== undefined && next.indent > indent) map[key] = this.block(next.indent);
      else if (next !== undefined && next.indent === indent && next.text.startsWith('- ')) map[key] = this.sequence(indent);
      else map[key] = null;
    }
    if (this.line !== undefined && this.line.indent > indent) fail(this.line, 'unexpected indentation');
    return map;
  }
}

/** Every document of a multi-document YAML text, in order. */
export function parseYamlDocuments(text: string): Yaml[] {
  const docs: Line[][] = [[]];
  text.split('\n').forEach((raw, index) => {
    if (raw.includes('\t')) fail({ no: index + 1, indent: 0, text: raw }, 'tabs are not allowed');
    const trimmed = raw.trimEnd();
    if (trimmed === '---') {
      docs.push([]);
      return;
    }
    const body = trimmed.trimStart();
    if (body === '' || body.startsWith('#')) return;
    docs[docs.length - 1]?.push({ no: index + 1, indent: trimmed.length - body.length, text: body });
  });
  return docs.filter((lines) => lines.length > 0).map((lines) => new Parser(lines).parseAll());
}
