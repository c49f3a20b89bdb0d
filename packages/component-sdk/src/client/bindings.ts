import type { ClientDuplexStream } from '@grpc/grpc-js';
import { InvalidArgumentError } from '../errors.js';
import { ServiceName } from '../server/proto.js';
import type {
  WireInvokeResponse,
  WireListOperationsResponse,
  WireReadRequest,
  WireReadResponse,
} from '../server/wire.js';
import { EMPTY_BYTES } from '../server/wire.js';
import type {
  BindingEventHandler,
  InputBinding,
  InvokeRequest,
  InvokeResponse,
  OutputBinding,
} from '../v1/bindings.js';
import type { Metadata } from '../v1/common.js';
import { bindingEventFromWire, invokeResponseFromWire, invokeToWire } from './convert.js';
import { RemoteComponent, type RemoteOptions } from './remote.js';

export interface RemoteInputBinding extends InputBinding {
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface RemoteOutputBinding extends OutputBinding {
  ping(): Promise<void>;
  close(): Promise<void>;
}

type ReadStream = ClientDuplexStream<WireReadRequest, WireReadResponse>;
const INPUT = ServiceName.InputBinding;
const OUTPUT = ServiceName.OutputBinding;

class RemoteInputBindingClient extends RemoteComponent implements RemoteInputBinding {
  async init(properties: Metadata): Promise<void> {
    await this.initInstance(INPUT, properties);
  }

  /**
   * Opens Read (daprd sends nothing first) and returns. Events are handled concurrently, as daprd does,
   * and each reply names its event's `message_id`, so replies go back in completion order.
   */
  async read(handler: BindingEventHandler, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    await this.superviseStream(
      'Read',
      () => {
        const call: ReadStream = this.channel.bidi(INPUT, 'Read');
        call.on('data', (event: WireReadResponse) => void this.reply(call, event, handler));
        return { stream: call };
      },
      signal,
    );
  }

  async ping(): Promise<void> {
    await this.call(INPUT, 'Ping', {});
  }

  private async reply(call: ReadStream, event: WireReadResponse, handler: BindingEventHandler): Promise<void> {
    let reply: WireReadRequest;
    try {
      const data = await handler(bindingEventFromWire(event));
      reply = { messageId: event.messageId, responseData: data ?? EMPTY_BYTES };
    } catch (err) {
      reply = {
        messageId: event.messageId,
        responseError: { message: err instanceof Error ? err.message : String(err) },
      };
    }
    // Like daprd, reply even while tearing down; it only fails if the stream is already gone.
    if (!call.writableEnded && !call.destroyed) call.write(reply);
  }
}

class RemoteOutputBindingClient extends RemoteComponent implements RemoteOutputBinding {
  private cachedOperations: readonly string[] = [];

  /** Init, then ListOperations: the cached allow-list daprd checks before every Invoke. */
  async init(properties: Metadata): Promise<void> {
    await this.initInstance(OUTPUT, properties);
    const { operations } = await this.call<object, WireListOperationsResponse>(OUTPUT, 'ListOperations', {});
    this.cachedOperations = operations;
  }

  operations(): readonly string[] {
    return this.cachedOperations;
  }

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    if (!request.operation || !this.cachedOperations.includes(request.operation)) {
      throw new InvalidArgumentError(
        `output binding '${this.options.instanceName}' does not support operation '${request.operation}'; supported operations: ${this.cachedOperations.join(', ') || '(none)'}`,
      );
    }
    return invokeResponseFromWire(
      await this.call<unknown, WireInvokeResponse>(OUTPUT, 'Invoke', invokeToWire(request)),
    );
  }

  async ping(): Promise<void> {
    await this.call(OUTPUT, 'Ping', {});
  }
}

export function remoteInputBinding(options: RemoteOptions): RemoteInputBinding {
  return new RemoteInputBindingClient(options);
}

export function remoteOutputBinding(options: RemoteOptions): RemoteOutputBinding {
  return new RemoteOutputBindingClient(options);
}
