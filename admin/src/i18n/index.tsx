import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import type { Lang } from '../api/errors';

// Chinese by default, English on request. Strings sit next to their use as t('中文', 'English'), so a
// screen stays readable in one file and nothing can be missing from a separate dictionary.

const STORAGE_KEY = 'membercard.admin.lang';

interface LangContextValue {
  lang: Lang;
  setLang: (lang: Lang) => void;
}

const LangContext = createContext<LangContextValue>({ lang: 'zh', setLang: () => undefined });

function storedLang(): Lang {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export function LangProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(storedLang);
  const value = useMemo<LangContextValue>(
    () => ({
      lang,
      setLang: (next) => {
        setLangState(next);
        dayjs.locale(next === 'zh' ? 'zh-cn' : 'en');
        try {
          globalThis.localStorage?.setItem(STORAGE_KEY, next);
        } catch {
          /* not persisted */
        }
      },
    }),
    [lang],
  );
  dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
  return <LangContext.Provider value={value}>{children}</LangContext.Provider>;
}

export function useLang(): LangContextValue {
  return useContext(LangContext);
}

export type Translate = (zh: string, en: string) => string;

export function useT(): Translate {
  const { lang } = useLang();
  return useMemo(() => (zh: string, en: string) => (lang === 'zh' ? zh : en), [lang]);
}
