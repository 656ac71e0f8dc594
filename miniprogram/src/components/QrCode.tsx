import { View } from '@tarojs/components';
import { useMemo } from 'react';
import { qrMatrix } from '../lib/qr';

interface QrCodeProps {
  text: string;
  /** Target width in CSS px; the drawing snaps to whole pixels per module so edges stay sharp. */
  sizePx?: number;
}

/** A QR code drawn with Views (one row per module row, runs merged), which renders the same in weapp and H5. */
export function QrCode({ text, sizePx = 200 }: QrCodeProps) {
  const matrix = useMemo(() => qrMatrix(text), [text]);
  const modulePx = Math.max(2, Math.floor(sizePx / matrix.size));
  const quietPx = modulePx * 2;
  return (
    <View
      className='qr-code'
      aria-label='二维码'
      style={{ padding: `${quietPx}px`, background: '#fff', display: 'inline-block', lineHeight: 0 }}
    >
      {matrix.rows.map((runs, row) => (
        <View key={row} style={{ display: 'flex', height: `${modulePx}px` }}>
          {runs.map((run, index) => (
            <View
              key={index}
              style={{ width: `${run.width * modulePx}px`, height: `${modulePx}px`, background: run.dark ? '#000' : '#fff', flexShrink: 0 }}
            />
          ))}
        </View>
      ))}
    </View>
  );
}
