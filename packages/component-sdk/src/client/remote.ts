import type { ServiceError } from '@grpc/grpc-js';
import type { DaprkitError } from '../errors.js';
import type { ServiceName } from '../server/proto.js';
import type { Logger, Metadata } from '../v1/common.js';
import { silentLogger } from '../v1/common.js';
import { RemoteChannel } from './channel.js';
import { decodeStatusError, KIT_ONLY, RAW, STATE_BULK_DELETE, STATE_WRITE, type StatusRules } from './status.js';

export interface RemoteOptions {
  socketPath: string;
  /** The YAML `metadata.name` daprd would send as `x-component-instance` (`''` = default instance). */
  instanceName: string;
  /** Deadline per unary call; none by default (daprd sets none on Init). */
  timeoutMs?: number;
  /** Where stream failures are reported (a subscription or Read stream ended by the server). */
  logger?: Logger;
}

const decoderFor =
  (rules: StatusRules) =>
  (error: ServiceError): DaprkitError =>
    decodeStatusError(error, rules);

/** Error decoders per daprd interpretation, built once. */
export const Decode = {
  raw: decoderFor(RAW),
  kit: decoderFor(KIT_ONLY),
  stateWrite: decoderFor(STATE_WRITE),
  stateBulkDelete: decoderFor(STATE_BULK_DELETE),
} as const;

/** Shared plumbing of the remote components: one channel per object, closed by `close()`. */
export abstract class RemoteComponent {
  protected readonly channel: RemoteChannel;
  protected readonly logger: Logger;

  constructor(protected readonly options: RemoteOptions) {
    this.channel = new RemoteChannel(options.socketPath, options.instanceName, options.timeoutMs);
    this.logger = options.logger ?? silentLogger;
  }

  protected call<Req, Res>(service: ServiceName, method: string, request: Req, decode = Decode.raw): Promise<Res> {
    return this.channel.unary<Req, Res>(service, method, request, decode);
  }

  protected initRequest(properties: Metadata): { metadata: { properties: Metadata } } {
    return { metadata: { properties } };
  }

  async close(): Promise<void> {
    this.channel.close();
  }
}
