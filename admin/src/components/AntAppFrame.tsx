import { App as AntApp } from 'antd';
import type { ReactNode } from 'react';

// antd's App (the message, notification and modal hooks every signed-in screen uses through App.useApp) around the
// screens behind sign-in, loaded with them: the sign-in screen uses none of it and is the console's first download
// (scripts/web-budget.mjs).
export default function AntAppFrame({ children }: { children: ReactNode }) {
  return <AntApp>{children}</AntApp>;
}
