/**
 * A User-Agent header as a person says it: "Chrome 131 on Windows". Only the browsers and systems
 * that register for Web Push are named; anything else is `undefined`, and the caller shows the raw
 * header instead. Order matters: Edge, Opera and Samsung Internet say "Chrome" too, and Chrome
 * says "Safari".
 */
const BROWSERS: Array<[name: string, pattern: RegExp]> = [
  ['Edge', /\bEdg(?:e|A|iOS)?\/(\d+)/],
  ['Opera', /\b(?:OPR|OPX)\/(\d+)/],
  ['Samsung Internet', /\bSamsungBrowser\/(\d+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/(\d+)/],
  ['Chrome', /\b(?:Chrome|CriOS)\/(\d+)/],
  ['Safari', /\bVersion\/(\d+(?:\.\d+)?).*\bSafari\//],
];

const SYSTEMS: Array<[name: string, pattern: RegExp]> = [
  ['Android', /\bAndroid\b/],
  ['iOS', /\b(?:iPhone|iPod)\b/],
  ['iPadOS', /\biPad\b/],
  ['ChromeOS', /\bCrOS\b/],
  ['Windows', /\bWindows\b/],
  ['macOS', /\bMac OS X\b/],
  ['Linux', /\bLinux\b/],
];

export function describeUserAgent(ua: string): string | undefined {
  const browser = BROWSERS.find(([, pattern]) => pattern.test(ua));
  const system = SYSTEMS.find(([, pattern]) => pattern.test(ua))?.[0];
  if (!browser) return undefined;
  const [name, pattern] = browser;
  const version = pattern.exec(ua)?.[1];
  return `${name}${version ? ` ${version}` : ''}${system ? ` on ${system}` : ''}`;
}
