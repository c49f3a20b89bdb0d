import type { Component, Metadata } from './common.js';

export const SecretStoreFeature = {
  MultipleKeyValuesPerSecret: 'MULTIPLE_KEY_VALUES_PER_SECRET',
} as const;
export type SecretStoreFeature = (typeof SecretStoreFeature)[keyof typeof SecretStoreFeature];

/** One secret: its key/value pairs. A single-valued store returns `{ [name]: value }`. */
export type Secret = Record<string, string>;

export interface SecretStore extends Component {
  features(): readonly SecretStoreFeature[];
  /** A missing secret throws a NotFoundError; it never returns an empty map. */
  getSecret(request: { name: string; metadata: Metadata }): Promise<Secret>;
  bulkGetSecret(request: { metadata: Metadata }): Promise<Record<string, Secret>>;
}
