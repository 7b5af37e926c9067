import { describe, expect, it } from 'vitest';
import { safeHref } from '../src/safe-url.js';

const PAGE = 'https://shop.example/account/orders';

describe('safeHref', () => {
  it.each([
    ['/orders/1', 'https://shop.example/orders/1'],
    ['/', 'https://shop.example/'],
    ['/?tab=inbox#top', 'https://shop.example/?tab=inbox#top'],
    ['https://shop.example/orders/1', 'https://shop.example/orders/1'],
    ['https://other.example/promo', 'https://other.example/promo'],
    ['HTTP://OTHER.EXAMPLE/', 'http://other.example/'],
  ])('opens %j as %j', (url, href) => {
    expect(safeHref(url, PAGE)).toBe(href);
  });

  it.each([
    '//evil.example/x',
    '/\\evil.example/x',
    '/\t/evil.example/x',
    '/\n/evil.example',
    ' //evil.example',
    '/\u200b/evil.example',
    'https:evil.example',
    'https:/evil.example',
    'https:\\\\evil.example',
    'https://shop.example@evil.example/',
    'javascript:alert(document.cookie)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'orders/1',
    '',
    null,
    42,
  ])('refuses %j', (url) => {
    expect(safeHref(url, PAGE)).toBeNull();
  });
});
