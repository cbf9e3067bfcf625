/** Picks the printer for `--write-out`. */
import { FieldsPrinter } from './fields.js';
import { JsonPrinter } from './json.js';
import type { OutputFormat, Printer, Sink } from './printer.js';
import { SimplePrinter } from './simple.js';
import { TablePrinter } from './table-printer.js';

export type { EpHashKV, EpHealth, EpStatus, OutputFormat, Printer, Sink } from './printer.js';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['simple', 'json', 'fields', 'table'];

export interface PrinterOptions {
  readonly hex: boolean;
  readonly valueOnly?: boolean;
}

export function newPrinter(format: OutputFormat, sink: Sink, o: PrinterOptions): Printer {
  switch (format) {
    case 'simple': return new SimplePrinter(sink, { hex: o.hex, valueOnly: o.valueOnly === true });
    case 'json': return new JsonPrinter(sink);
    case 'fields': return new FieldsPrinter(sink, o.hex);
    case 'table': return new TablePrinter(sink);
  }
}
