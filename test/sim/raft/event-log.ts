/** A bounded ring of the latest simulation events: what a failure report prints. */
export class EventLog {
  private readonly lines: string[] = [];
  private next = 0;
  total = 0;

  constructor(private readonly capacity = 50, private readonly echo = false) {}

  add(line: string): void {
    this.total++;
    if (this.echo) console.log(line);
    if (this.lines.length < this.capacity) this.lines.push(line);
    else this.lines[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
  }

  last(): string[] {
    if (this.lines.length < this.capacity) return [...this.lines];
    return [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)];
  }
}
