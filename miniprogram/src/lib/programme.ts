import Taro from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { DEFAULT_PROGRAMME_NAME } from '@membercard/shared';
import { catalogue } from '../api/endpoints';

const STORAGE_KEY = 'membercard.programmeName';

function keptName(): string {
  const kept = Taro.getStorageSync(STORAGE_KEY) as string | '' | undefined;
  return typeof kept === 'string' && kept ? kept : DEFAULT_PROGRAMME_NAME;
}

/**
 * The programme's name for the card face: the last one /app-config gave (kept on the phone, so the offline
 * card still shows it), refreshed once per page; the shared default until the server names one.
 */
export function useProgrammeName(): string {
  const [name, setName] = useState(keptName);
  useEffect(() => {
    let live = true;
    catalogue.appConfig().then(
      (config) => {
        const fresh = config.programme?.name;
        if (!fresh || !live) return;
        Taro.setStorageSync(STORAGE_KEY, fresh);
        setName(fresh);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return name;
}
