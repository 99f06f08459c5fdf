/**
 * Hash routes (`/console/#/w/<id>/visits`): the service serves one page, so every view is a
 * fragment of it, and no route ever needs the server. Tokens are never part of a route.
 */
import { useEffect, useState } from 'preact/hooks';

export function currentRoute(): string {
  const hash = location.hash.replace(/^#/, '');
  return hash.startsWith('/') ? hash : '/';
}

export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** The query of the current route (`/visits?status=pending` → status=pending). */
export function routeQuery(route: string = currentRoute()): URLSearchParams {
  const at = route.indexOf('?');
  return new URLSearchParams(at === -1 ? '' : route.slice(at + 1));
}

/**
 * A page's filters live in its route's query, so a reload or a shared link keeps them. Changing one
 * replaces the route (no history entry per keystroke); empty values are left out.
 */
export function useRouteQuery(): [URLSearchParams, (changes: Record<string, string>) => void] {
  const route = useRoute();
  const query = routeQuery(route);
  const set = (changes: Record<string, string>) => {
    const next = routeQuery(route);
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    const path = route.split('?')[0]!;
    const text = next.toString();
    location.replace(`#${path}${text ? `?${text}` : ''}`);
  };
  return [query, set];
}

export function navigate(route: string): void {
  location.hash = route;
}

export const href = (route: string): string => `#${route}`;

/** `pattern` like `/w/:ws/visits/:id`; the named segments, or null when the route does not match. */
export function match(pattern: string, route: string): Record<string, string> | null {
  const want = pattern.split('/');
  const have = route.split('?')[0]!.split('/');
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const h = have[i]!;
    if (w.startsWith(':')) {
      if (!h) return null;
      params[w.slice(1)] = decodeURIComponent(h);
    } else if (w !== h) return null;
  }
  return params;
}
