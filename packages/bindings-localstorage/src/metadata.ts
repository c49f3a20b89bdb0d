import { field, InvalidArgumentError, type Metadata, parseMetadata } from '@daprkit/component-sdk';

export const DECODE_BASE64 = ['auto', 'true', 'false'] as const;
export type DecodeBase64 = (typeof DECODE_BASE64)[number];

/** Component metadata (YAML `spec.metadata`) of `bindings.localstorage`. */
export const localStorageMetadataSchema = {
  rootPath: field.string({
    required: true,
    description:
      'Directory every file lives under (created at init; relative paths are from the working directory). /proc, /sys, /boot and /var/run/secrets are refused.',
  }),
  decodeBase64: field.enum({
    values: DECODE_BASE64,
    default: 'auto',
    description:
      'How `create` treats data that is valid base64: `auto` decodes it as contrib does (so text like `test` is written as 3 bytes), `true` always decodes (invalid base64 is an error), `false` never does. Request metadata `decodeBase64` overrides.',
  }),
};

export interface LocalStorageSettings {
  rootPath: string;
  decodeBase64: DecodeBase64;
}

export function parseLocalStorageSettings(properties: Metadata): LocalStorageSettings {
  const m = parseMetadata(properties, localStorageMetadataSchema);
  return { rootPath: m.rootPath, decodeBase64: m.decodeBase64 as DecodeBase64 };
}

/** Request-level `decodeBase64`: same values; anything else is an error naming the field. */
export function parseDecodeBase64(value: string | undefined, fallback: DecodeBase64): DecodeBase64 {
  if (value === undefined || value === '') return fallback;
  const v = value.trim().toLowerCase();
  if ((DECODE_BASE64 as readonly string[]).includes(v)) return v as DecodeBase64;
  throw new InvalidArgumentError(`request metadata 'decodeBase64': expected auto, true or false, got '${value}'`);
}
