import Taro from '@tarojs/taro';
import { catalogue, shopper } from '../api/endpoints';
import type { AppConfig } from '../api/schemas';
import { isH5 } from '../config';

/** The purposes the server sends messages for; each has its own template (ids from /app-config). */
export type SubscribeMoment = keyof AppConfig['subscribeTemplates'];

let templates: AppConfig['subscribeTemplates'] | null = null;

/** Fetch template ids ahead of time: requestSubscribeMessage must run straight from a tap, with no await before it. */
export async function preloadSubscribeTemplates(): Promise<void> {
  if (isH5 || templates) return;
  try {
    templates = (await catalogue.appConfig()).subscribeTemplates;
  } catch {
    templates = null;
  }
}

/**
 * Asks for subscribe-message consent and reports the accepted template ids to the server.
 * Call it directly in a tap handler. H5 has no subscribe messages, so it is skipped there.
 * Never throws: declining must not spoil what the shopper just did.
 */
export async function askToSubscribe(moments: SubscribeMoment[]): Promise<string[]> {
  if (isH5 || !templates) return [];
  const known = templates;
  const templateIds = moments.map((moment) => known[moment]).filter((id): id is string => Boolean(id));
  if (templateIds.length === 0) return [];
  try {
    const answer = (await Taro.requestSubscribeMessage({ tmplIds: templateIds } as unknown as Parameters<typeof Taro.requestSubscribeMessage>[0])) as unknown as Record<string, string>;
    const accepted = templateIds.filter((id) => answer[id] === 'accept');
    if (accepted.length) await shopper.reportSubscriptions(accepted);
    if (accepted.length) void Taro.showToast({ title: '订阅成功', icon: 'success' });
    return accepted;
  } catch {
    return [];
  }
}
