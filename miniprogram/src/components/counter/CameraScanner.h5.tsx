import { Button, View } from '@tarojs/components';
import type { IScannerControls } from '@zxing/browser';
import { useEffect, useRef, useState } from 'react';
import './counter.css';

/** Why the camera did not open, in the clerk's words, with the way forward (typing the code). */
export function cameraErrorText(failure: unknown): string {
  const name = (failure as { name?: string } | null)?.name ?? '';
  if (name === 'NotAllowedError' || name === 'PermissionDeniedError' || name === 'SecurityError') {
    return '没有摄像头权限：请在浏览器设置里允许本页使用摄像头，或直接在下方输入顾客码下的 18 位数字。';
  }
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
    return '这台设备没有可用的摄像头，请在下方输入顾客码下的 18 位数字。';
  }
  if (name === 'NotReadableError' || name === 'TrackStartError') {
    return '摄像头正被其他应用使用，请关闭后重试，或在下方输入 18 位数字。';
  }
  return '摄像头打不开，请在下方输入顾客码下的 18 位数字。';
}

/**
 * The H5 counter's camera: the video with a decoder reading QR codes and the card's Code128 barcode
 * (@zxing/browser, loaded only when the scanner opens). The first code read is handed over and the camera stops.
 */
export function CameraScanner({ onCode, onClose }: { onCode: (text: string) => void; onClose: () => void }) {
  const video = useRef<HTMLVideoElement | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    let done = false;
    let controls: IScannerControls | undefined;
    const stop = () => {
      done = true;
      controls?.stop();
    };
    void (async () => {
      if (!navigator.mediaDevices?.getUserMedia) {
        setFailure('此浏览器不能使用摄像头（需要 https 页面），请在下方输入顾客码下的 18 位数字。');
        return;
      }
      try {
        // One chunk: @zxing/browser re-exports what it needs of @zxing/library (a second import would load the library twice).
        const { BrowserMultiFormatReader, BarcodeFormat } = await import(/* webpackChunkName: "scanner-lib" */ '@zxing/browser');
        if (done || !video.current) return;
        const reader = new BrowserMultiFormatReader(undefined, { delayBetweenScanAttempts: 120 });
        reader.possibleFormats = [BarcodeFormat.QR_CODE, BarcodeFormat.CODE_128];
        controls = await reader.decodeFromConstraints({ video: { facingMode: 'environment' }, audio: false }, video.current, (result) => {
          if (!result || done) return;
          stop();
          onCode(result.getText());
        });
        if (done) controls.stop();
      } catch (err) {
        if (!done) setFailure(cameraErrorText(err));
      }
    })();
    return stop;
    // Opened once per scan; a new scan mounts a new scanner.
  }, []);

  return (
    <View>
      <View className='row' style={{ marginBottom: '8px' }}>
        <View className='strong'>对准顾客的会员码</View>
        <View className='muted'>二维码或条形码都可以</View>
      </View>
      {failure ? (
        <View className='notice notice--error counter-camera__failure'>
          {failure}
        </View>
      ) : (
        <View className='counter-camera'>
          <video ref={video} muted playsInline style={{ width: '100%', display: 'block', minHeight: '200px' }} />
          <View className='counter-camera__frame' />
        </View>
      )}
      <Button className='btn btn--ghost mt' onClick={onClose}>
        {failure ? '改为输入' : '关闭摄像头'}
      </Button>
    </View>
  );
}
