import { describe, expect, it } from 'vitest';
import { proxyAuthorization, proxyFor, type ProxySettings } from './outbound-proxy.js';

const settings = (noProxy = ''): ProxySettings => ({ httpsProxy: 'http://egress:3128', httpProxy: 'http://plain-egress:8080', noProxy });
const via = (url: string, noProxy?: string) => proxyFor(new URL(url), settings(noProxy))?.host ?? null;

describe('proxyFor', () => {
  it('uses the proxy of the target scheme', () => {
    expect(via('https://api.itniotech.com/voice')).toBe('egress:3128');
    expect(via('http://simulator:8090/voice')).toBe('plain-egress:8080');
    expect(proxyFor(new URL('https://api.itniotech.com'), { httpsProxy: null, httpProxy: 'http://p:1', noProxy: '' })).toBeNull();
  });

  it('connects directly to NO_PROXY hosts: exact names, domains with or without a leading dot or *, ports, *', () => {
    expect(via('https://api.itniotech.com', 'localhost, itniotech.com')).toBeNull();
    expect(via('https://api.itniotech.com', '.itniotech.com')).toBeNull();
    expect(via('https://api.itniotech.com', '*.itniotech.com')).toBeNull();
    expect(via('https://api.itniotech.com', 'notitniotech.com')).toBe('egress:3128');
    expect(via('https://api.itniotech.com', 'api.itniotech.com:8443')).toBe('egress:3128');
    expect(via('https://api.itniotech.com', 'api.itniotech.com:443')).toBeNull();
    expect(via('http://127.0.0.1:8090', '127.0.0.1')).toBeNull();
    expect(via('https://anything.example', '*')).toBeNull();
  });
});

describe('proxyAuthorization', () => {
  it('sends the proxy URL credentials as Basic, and nothing without them', () => {
    expect(proxyAuthorization(new URL('http://user:p%40ss@egress:3128'))).toEqual({
      'Proxy-Authorization': `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
    });
    expect(proxyAuthorization(new URL('http://egress:3128'))).toEqual({});
  });
});
