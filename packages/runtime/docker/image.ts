import { InputError } from '#inputs/index';

export interface ImageRef {
  /** As given, e.g. `registry.example.com:5000/team/app:dev-abc123`. */
  reference: string;
  /** Registry host (with port) when the name has one. */
  registry?: string;
  /** Name without tag or digest; used to find this repository's images for pruning. */
  repository: string;
  tag?: string;
  digest?: string;
}

// Docker's reference grammar (distribution/reference), reduced to what a deploy needs.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?';
const NAME_TOTAL_LENGTH_MAX = 255;
const REFERENCE = new RegExp(`^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`);

/** Parses `registry/name:tag` or `name@sha256:…`; refuses `latest` and untagged images unless allowed. */
export function parseImageRef(input: string, raw: string, allowLatest: boolean): ImageRef {
  const reference = raw.trim();
  // distribution/reference: the name (registry and path, without tag or digest) is at most 255 characters.
  const name = reference.replace(/@.*$/, '').replace(/:[\w][\w.-]*$/, '');
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InputError(
      input,
      `'${reference.slice(0, 40)}…' has a name of ${name.length} characters; image names are at most ${NAME_TOTAL_LENGTH_MAX}`,
    );
  }
  const match = REFERENCE.exec(reference);
  if (!match) throw new InputError(input, `'${raw}' is not a valid image reference such as registry.example.com/app:1.2.3`);
  const [, , , tag, digest] = match;
  let [, registry, path] = match;
  // `name:port/…` only counts as a registry when the first part looks like a host.
  if (registry && !/[.:]|^localhost$/.test(registry) && !registry.startsWith('[')) {
    path = `${registry}/${path}`;
    registry = undefined;
  }
  if (!digest && (!tag || tag === 'latest') && !allowLatest) {
    throw new InputError(
      input,
      `'${raw}' ${tag ? 'uses the latest tag' : 'has no tag'}; deploy an immutable tag such as ` +
        `<env>-<sha> or a @sha256 digest (or set allow-latest: true)`,
    );
  }
  return { reference, registry, repository: registry ? `${registry}/${path}` : path!, tag, digest };
}
