// @tarojs/components rendered as plain DOM elements for jest.
import type { ReactNode } from 'react';

type Props = { children?: ReactNode; className?: string; style?: Record<string, string | number>; onClick?: () => void; [key: string]: unknown };

export function View({ children, className, style, onClick, ...rest }: Props) {
  const aria = rest['aria-label'] as string | undefined;
  return (
    <div className={className} style={style} onClick={onClick} aria-label={aria} role={rest.role as string | undefined}>
      {children}
    </div>
  );
}

export function Button({ children, className, onClick, disabled }: Props) {
  return (
    <button className={className} onClick={onClick} disabled={Boolean(disabled)}>
      {children}
    </button>
  );
}

export function Image({ className, src }: Props) {
  return <img className={className} src={src as string} alt='' />;
}
