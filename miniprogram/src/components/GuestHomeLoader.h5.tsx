import { useEffect, useState, type ComponentProps } from 'react';
import { ApiError } from '../api/errors';
import type { GuestHome } from './GuestHome';
import { Status } from './Status';

// H5: the guest home (tiers, activities, the mall and the join flow with its privacy dialog) is a chunk of its own,
// so the card page, which every visit downloads first, does not carry it for members (scripts/web-budget.mjs: the
// card page was the largest page chunk). A visitor without a session starts fetching it as soon as the card page's
// code runs (preloadGuestHome), alongside the first render. In WeChat it is part of the page (GuestHomeLoader.tsx).

type GuestHomeModule = typeof import('./GuestHome');

let loaded: GuestHomeModule | null = null;
let loading: Promise<GuestHomeModule> | null = null;

export function preloadGuestHome(): Promise<GuestHomeModule> {
  loading ??= import(/* webpackChunkName: "guest-home" */ './GuestHome').then(
    (module) => (loaded = module),
    (failure: unknown) => {
      loading = null; // the next try fetches again
      throw failure;
    },
  );
  return loading;
}

export function GuestHomeLoader(props: ComponentProps<typeof GuestHome>) {
  const [module, setModule] = useState(loaded);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    if (module || failure) return;
    let current = true;
    preloadGuestHome().then(
      (fetched) => current && setModule(fetched),
      // The chunk could not be fetched: the phone is offline (or the server is), as for any request.
      () => current && setFailure(new ApiError('NETWORK', 0).message),
    );
    return () => {
      current = false;
    };
  }, [module, failure]);
  if (module) return <module.GuestHome {...props} />;
  return <Status loading error={failure} onRetry={() => setFailure(null)} />;
}
