// proxy-from-env ships no types; this is its one export.
declare module 'proxy-from-env' {
  /** The proxy URL for a URL from the *_PROXY and NO_PROXY variables, or '' for a direct connection. */
  export function getProxyForUrl(url: string | URL): string;
}
