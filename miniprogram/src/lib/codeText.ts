import { codeAcceptedForSeconds } from '@membercard/shared';

function duration(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} 分钟` : `${seconds} 秒`;
}

/**
 * What the screen tells the shopper about a live code, from the key's real time step and the server's
 * acceptance window (shared), so the promise and the checkout agree: with 60 s steps,
 * "每 60 秒更新，截图最多 2 分钟内有效".
 */
export function codeLifeText(stepSeconds: number): string {
  return `每 ${stepSeconds} 秒更新，截图最多 ${duration(codeAcceptedForSeconds(stepSeconds))}内有效`;
}
