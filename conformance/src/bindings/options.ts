import type { Metadata } from '@daprkit/component-sdk';
import type { BaseContext } from '../harness/case.js';
import type { DescribeOptions, SuiteOptions } from '../harness/types.js';

/** Upstream's default payload (an Event Grid-style array), byte for byte including the space after `"eventTime":`. */
export const DEFAULT_OUTPUT_DATA =
  '[{"eventType":"test","eventTime": "2018-01-25T22:12:19.4556811Z","subject":"dapr-conf-tests","id":"A234-1234-1234","data":"root/>"}]';

/**
 * Output binding claims: the operation names it supports. `create`, `get`, `list`, `delete` also run their
 * generic invoke case; any other name (`exec`, `query`, ...) is only checked to be listed by `operations()`.
 */
export type OutputBindingOperation = 'create' | 'get' | 'list' | 'delete' | (string & {});

export interface OutputBindingConfig {
  /** Metadata for every invoke (copied per request), e.g. redis `key`. */
  output?: Metadata;
  /** Payload of every invoke. */
  outputData?: Uint8Array | string;
}

export interface InputBindingConfig {
  /** Budget for the first event. Upstream 60 s. */
  readBindingTimeoutMs?: number;
  /** Pause after `read` starts, so brokers can attach a consumer. Upstream 1 s. */
  readBindingWaitMs?: number;
  /**
   * Makes the source emit an event (upstream relies on the output binding's `create` for brokers). Omit for
   * sources that emit on their own, such as cron.
   */
  trigger?: () => Promise<void>;
}

export type OutputBindingOptions = SuiteOptions<'outputBinding', OutputBindingOperation, OutputBindingConfig>;
export type InputBindingOptions = SuiteOptions<'inputBinding', never, InputBindingConfig>;
export type DescribeOutputBindingOptions = OutputBindingOptions & DescribeOptions;
export type DescribeInputBindingOptions = InputBindingOptions & DescribeOptions;

export interface OutputBindingContext extends BaseContext<'outputBinding'> {
  readonly claims: ReadonlySet<string>;
  readonly properties: Metadata;
  readonly output: Metadata;
  readonly data: Uint8Array;
  /** B-CREATE succeeded, so B-GET and B-DELETE can check what it wrote. */
  created: boolean;
}

export interface InputBindingContext extends BaseContext<'inputBinding'> {
  readonly properties: Metadata;
  readonly config: Required<Omit<InputBindingConfig, 'trigger'>> & Pick<InputBindingConfig, 'trigger'>;
  readonly reading: AbortController;
  events: number;
}
