// In WeChat the counter scans with wx.scanCode (Taro.scanCode); the camera view is the H5 build's
// (CameraScanner.h5.tsx, picked by Taro's per-platform files), so the mini-program carries no decoder.
export function CameraScanner(_props: { onCode: (text: string) => void; onClose: () => void }) {
  return null;
}
