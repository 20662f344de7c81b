/**
 * The nginx proxy that strategy switch ran before the HAProxy edge (haproxy.ts). Its config's first line
 * names the release that serves; a deploy that finds one reads it, so the edge takes that proxy's ports over
 * with the same release serving, in one deploy.
 */

const SERVING_MARK = '# golden-deploy serving: ';

/** The alias the nginx config routes to, or undefined for a file that is not one of ours. */
export function servingUpstream(config: string): string | undefined {
  const first = config.split('\n', 1)[0] ?? '';
  return first.startsWith(SERVING_MARK) ? first.slice(SERVING_MARK.length).trim() || undefined : undefined;
}
