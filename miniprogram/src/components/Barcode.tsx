import { View } from '@tarojs/components';
import { useMemo } from 'react';
import { code128Runs } from '../lib/barcode';

interface BarcodeProps {
  text: string;
  /** Widest the bars may be, in CSS px. */
  maxWidthPx?: number;
  heightPx?: number;
}

const QUIET_MODULES = 10;

/** A Code128 barcode of Views; whole-pixel modules so scanners see even bars. */
export function Barcode({ text, maxWidthPx = 320, heightPx = 64 }: BarcodeProps) {
  const runs = useMemo(() => code128Runs(text), [text]);
  const modules = runs.reduce((sum, run) => sum + run.width, 0) + 2 * QUIET_MODULES;
  const modulePx = Math.max(1, Math.floor(maxWidthPx / modules));
  return (
    <View className='barcode' aria-label='条形码' style={{ display: 'flex', justifyContent: 'center', background: '#fff', padding: `0 ${QUIET_MODULES * modulePx}px` }}>
      {runs.map((run, index) => (
        <View key={index} style={{ width: `${run.width * modulePx}px`, height: `${heightPx}px`, background: run.dark ? '#000' : '#fff', flexShrink: 0 }} />
      ))}
    </View>
  );
}
