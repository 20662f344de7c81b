import type { ErrorObject } from 'ajv';

/** The manifest schema's standalone validator (see scripts/generate-manifest-validator.mjs). */
declare const validate: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
export = validate;
