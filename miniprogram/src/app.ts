import './lib/zodJitless';
import type { PropsWithChildren } from 'react';
import { useDidShow, useLaunch } from '@tarojs/taro';
import { rememberEntry, reportEntry } from './lib/entry';
import { installPrivacyHandler } from './lib/privacy';
import { signInSilently } from './lib/shopperSession';
import './app.css';

type LaunchOptions = { query?: Record<string, unknown>; scene?: number } | undefined;

function App({ children }: PropsWithChildren) {
  useLaunch((options: LaunchOptions) => {
    installPrivacyHandler();
    rememberEntry(options?.query, options?.scene);
    // Signed in without asking (WeChat), so the first page shows the programme to a guest at once.
    void signInSilently().then(() => reportEntry());
  });
  // A code scanned while the app was in the background brings it to the front with a new query.
  useDidShow((options: LaunchOptions) => {
    rememberEntry(options?.query, options?.scene);
    void reportEntry();
  });
  return children;
}

export default App;
