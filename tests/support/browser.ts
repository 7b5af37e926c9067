import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, with the flags this closed network needs (no background fetches). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * Injected before any page script: wraps the real `Notification` so the test can observe each
 * popup the browser actually shows (its `show` event), without changing what the page does.
 */
export const RECORD_NOTIFICATIONS = `(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__shown = [];
  window.__created = [];
  window.__closed = [];
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__created.push({ title, tag: options && options.tag });
      this.addEventListener('show', () => window.__shown.push({ title, body: options && options.body, tag: options && options.tag }));
      this.addEventListener('close', () => window.__closed.push(title));
    }
  }
  Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recorded;
})();`;

declare global {
  interface Window {
    __shown: Array<{ title: string; body?: string; tag?: string }>;
    __created: Array<{ title: string; tag?: string }>;
    __closed: string[];
  }
}
