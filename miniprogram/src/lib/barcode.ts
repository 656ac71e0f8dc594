// jsbarcode's encoder only (no renderer): pure JS, so it runs in the WeChat JS engine and in H5.
import { CODE128 } from 'jsbarcode/bin/barcodes/CODE128';

/** One bar of a barcode: dark or light, `width` modules wide. */
export interface BarRun {
  dark: boolean;
  width: number;
}

/** Code128 (automatic A/B/C switching) as runs of equal modules, quiet zones not included. */
export function code128Runs(text: string): BarRun[] {
  const symbol = new CODE128(text, {});
  if (!symbol.valid()) throw new Error('text cannot be encoded as Code128');
  return toRuns(symbol.encode().data);
}

/** Collapses a module string such as "1101001" into runs. */
export function toRuns(modules: string): BarRun[] {
  const runs: BarRun[] = [];
  for (const module of modules) {
    const dark = module === '1';
    const last = runs[runs.length - 1];
    if (last && last.dark === dark) last.width += 1;
    else runs.push({ dark, width: 1 });
  }
  return runs;
}
