/**
 * Standard input for commands that read it (put without a value, txn, watch -i): either a
 * string (tests, `runCli`) or a stream (the real process). Read lazily, so a command that
 * needs no input never waits on a terminal.
 */
const MAX_INPUT_CHARS = 64 * 1024 * 1024;

export type StdinSource = string | AsyncIterable<string | Uint8Array>;

export class LineInput {
  private buffer = '';
  private ended = false;
  private iterator: AsyncIterator<string | Uint8Array> | undefined;
  private readonly decoder = new TextDecoder();

  constructor(private readonly source: StdinSource) {
    if (typeof source === 'string') {
      this.buffer = source;
      this.ended = true;
    }
  }

  /** Pulls one more chunk; false at end of input. */
  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    this.iterator ??= (this.source as AsyncIterable<string | Uint8Array>)[Symbol.asyncIterator]();
    const r = await this.iterator.next();
    if (r.done === true) {
      this.ended = true;
      this.buffer += this.decoder.decode();
      return false;
    }
    this.buffer += typeof r.value === 'string' ? r.value : this.decoder.decode(r.value, { stream: true });
    if (this.buffer.length > MAX_INPUT_CHARS) throw new Error(`standard input longer than ${MAX_INPUT_CHARS} characters`);
    return true;
  }

  /** Everything left, as etcdctl's io.ReadAll. */
  async readAll(): Promise<string> {
    while (await this.fill());
    const all = this.buffer;
    this.buffer = '';
    return all;
  }

  /** The next line without its newline; a last line without one still counts; undefined at the end. */
  async readLine(): Promise<string | undefined> {
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl !== -1) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        return line.endsWith('\r') ? line.slice(0, -1) : line;
      }
      if (!(await this.fill())) {
        if (this.buffer === '') return undefined;
        const last = this.buffer;
        this.buffer = '';
        return last;
      }
    }
  }
}
