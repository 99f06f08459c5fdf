/** Who is signed in (GET /v1/me) and whether the service runs in demo mode, for every page. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from './api/types';

export interface SignedIn {
  me: Me;
  /** demo mode: the demo-only routes exist */
  demo: boolean;
}

export const SignedInContext = createContext<SignedIn | null>(null);

export function useSignedIn(): SignedIn {
  const value = useContext(SignedInContext);
  if (value === null) throw new Error('useSignedIn outside a signed-in page');
  return value;
}

export const can = {
  readOrders: (me: Me) => me.scopes.includes('lab-orders:read'),
  writeOrders: (me: Me) => me.scopes.includes('lab-orders:write'),
  /** a brand's webhook endpoints */
  adminOrders: (me: Me) => me.scopes.includes('lab-orders:admin'),
  /** API keys: the platform admin, or lab-orders:admin within its brands and scopes */
  manageKeys: (me: Me) => me.persona === 'admin' || me.scopes.includes('lab-orders:admin'),
};

/** How the header names the signed-in principal. */
export function whoIs(me: Me): string {
  const who = me.name ?? me.email ?? me.sub;
  if (me.persona === 'admin') return `platform admin ${who}`;
  if (me.persona === 'customer') return `customer ${who}`;
  if (me.brand_ids) return `${who} (brands ${me.brand_ids.join(', ')})`;
  return who;
}
