import qrcodeGenerator from 'qrcode-generator';
import type { BarRun } from './barcode';

/** The dark/light modules of a QR code, row by row, each row collapsed into runs. */
export interface QrMatrix {
  size: number;
  rows: BarRun[][];
}

/** Encodes text as a QR code, smallest version that fits, error correction M (survives a scuffed screen). */
export function qrMatrix(text: string): QrMatrix {
  const qr = qrcodeGenerator(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const size = qr.getModuleCount();
  const rows: BarRun[][] = [];
  for (let row = 0; row < size; row++) {
    const runs: BarRun[] = [];
    for (let col = 0; col < size; col++) {
      const dark = qr.isDark(row, col);
      const last = runs[runs.length - 1];
      if (last && last.dark === dark) last.width += 1;
      else runs.push({ dark, width: 1 });
    }
    rows.push(runs);
  }
  return { size, rows };
}
