/** Saves a blob under a file name, as the browser's download (CSV exports, QR code images). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  // Revoked a moment later: the click starts the download asynchronously.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
