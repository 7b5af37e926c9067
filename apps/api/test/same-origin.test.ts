import { describe, expect, it } from 'vitest';
import { crossOriginReason } from '../src/platform/http/same-origin.js';
import { inlineScriptHashes } from '../src/platform/http/security-headers.js';

describe('crossOriginReason', () => {
  const hosts = ['herald.example.com'];

  it('trusts what the browser says in Sec-Fetch-Site', () => {
    expect(crossOriginReason({ 'sec-fetch-site': 'same-origin' }, hosts)).toBeNull();
    expect(crossOriginReason({ 'sec-fetch-site': 'none' }, hosts)).toBeNull();
    expect(crossOriginReason({ 'sec-fetch-site': 'same-site', origin: 'https://herald.example.com' }, hosts)).toMatch(
      /same-site page/,
    );
    expect(crossOriginReason({ 'sec-fetch-site': 'cross-site' }, hosts)).toMatch(/cross-site page/);
  });

  it('compares the Origin with the Host the request reached, or HERALD_PUBLIC_URL behind a proxy', () => {
    expect(crossOriginReason({ origin: 'https://herald.example.com' }, hosts)).toBeNull();
    expect(crossOriginReason({ origin: 'https://HERALD.example.com' }, hosts)).toBeNull();
    expect(crossOriginReason({ origin: 'https://herald.example.com:8443' }, hosts)).toMatch(/comes from/);
    expect(crossOriginReason({ origin: 'https://shop.example.com' }, hosts)).toMatch(/shop\.example\.com/);
    expect(crossOriginReason({ origin: 'null' }, hosts)).toMatch(/not an origin/);
    // A proxy that rewrites Host to the upstream's address: only the public URL tells.
    expect(crossOriginReason({ origin: 'https://push.example.com' }, ['10.0.0.5:3000'])).not.toBeNull();
    expect(
      crossOriginReason({ origin: 'https://push.example.com' }, ['10.0.0.5:3000'], 'https://push.example.com'),
    ).toBeNull();
  });

  it('lets requests without either header through: they do not come from a browser page', () => {
    expect(crossOriginReason({}, hosts)).toBeNull();
  });
});

describe('inlineScriptHashes', () => {
  it('hashes each inline script exactly as the browser does, and skips external ones', () => {
    const html = '<script src="/sdk.js"></script>\n<script>\n  alert(1);\n</script><script type="module">x()</script>';
    // printf '\n  alert(1);\n' | openssl dgst -sha256 -binary | base64
    expect(inlineScriptHashes(html)).toEqual([
      "'sha256-8yUvYAoVPcECP+LCtuQt8Lpqlvatg5ljAKVplA/Yo0M='",
      "'sha256-D6IGS8VMvCoyaR/l0h9tERrBTATY01CoPS7l6xDv0kI='",
    ]);
  });
});
