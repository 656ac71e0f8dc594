import type { ComponentProps } from 'react';
import { GuestHome } from './GuestHome';

// In WeChat the guest home is part of the card page (the package is on the phone); the H5 build fetches it on its own
// (GuestHomeLoader.h5.tsx).
export function preloadGuestHome(): void {}

export function GuestHomeLoader(props: ComponentProps<typeof GuestHome>) {
  return <GuestHome {...props} />;
}
