import { JSDOM } from 'jsdom';

/**
 * A DOM for React Testing Library in jest's node environment (the sockets stay Node's). Import
 * it before react-dom or @testing-library/react: both look for `document` when loaded.
 */
export const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://localhost/' });
const g = globalThis as Record<string, unknown>;
g.window = dom.window;
g.document = dom.window.document;
if (!('navigator' in globalThis)) g.navigator = dom.window.navigator;
g.HTMLElement = dom.window.HTMLElement;
g.Node = dom.window.Node;
g.MutationObserver = dom.window.MutationObserver;

/** Closes the window (its timers) so jest can exit. */
export function closeDom(): void {
  dom.window.close();
}
