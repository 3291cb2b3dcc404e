/** A tiny history router: pushState plus one event, so every `useLocation` re-renders on change. */
import { useEffect, useState } from 'preact/hooks';

const NAVIGATE = 'ballast:navigate';

export interface Loc {
  pathname: string;
  search: URLSearchParams;
}

function current(): Loc {
  return { pathname: location.pathname, search: new URLSearchParams(location.search) };
}

export function navigate(url: string, opts: { replace?: boolean } = {}): void {
  if (url === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATE));
}

export function useLocation(): Loc {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => {
      setLoc(current());
    };
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE, update);
    };
  }, []);
  return loc;
}

/** Follows a same-origin link in place; lets modified clicks (new tab, download) through. */
export function onLinkClick(ev: MouseEvent, href: string): void {
  if (ev.defaultPrevented || ev.button !== 0) return;
  if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  ev.preventDefault();
  navigate(href);
}
