import type { ClientDuplexStream } from '@grpc/grpc-js';
import { ServiceName } from '../server/proto.js';
import type {
  WireBulkPublishResponse,
  WireFeaturesResponse,
  WirePullMessagesRequest,
  WirePullMessagesResponse,
} from '../server/wire.js';
import type { Metadata } from '../v1/common.js';
import {
  type BulkPublishRequest,
  type BulkPublishResponse,
  type MessageHandler,
  type PublishRequest,
  type PubSub,
  PubSubFeature,
  type SubscribeRequest,
} from '../v1/pubsub.js';
import { bulkPublishToWire, publishToWire, pubSubMessageFromWire } from './convert.js';
import { RemoteComponent, type RemoteOptions } from './remote.js';

export interface RemotePubSub extends PubSub {
  ping(): Promise<void>;
  close(): Promise<void>;
}

type PullStream = ClientDuplexStream<WirePullMessagesRequest, WirePullMessagesResponse>;
const PUBSUB = ServiceName.PubSub;

class RemotePubSubClient extends RemoteComponent implements RemotePubSub {
  private cachedFeatures: readonly PubSubFeature[] = [];
  declare bulkPublish?: (request: BulkPublishRequest) => Promise<BulkPublishResponse>;

  /** Init, then Features (cached); `bulkPublish` exists iff BULK_PUBSUB was declared (daprd's gate). */
  async init(properties: Metadata): Promise<void> {
    await this.initInstance(PUBSUB, properties);
    const { features } = await this.call<object, WireFeaturesResponse>(PUBSUB, 'Features', {});
    this.cachedFeatures = features as PubSubFeature[];
    delete this.bulkPublish;
    if (features.includes(PubSubFeature.BulkPublish)) {
      this.bulkPublish = async (request) => {
        const response = await this.call<unknown, WireBulkPublishResponse>(
          PUBSUB,
          'BulkPublish',
          bulkPublishToWire(request),
        );
        return { failedEntries: response.failedEntries.map((e) => ({ entryId: e.entryId, error: e.error })) };
      };
    }
  }

  features(): readonly PubSubFeature[] {
    return this.cachedFeatures;
  }

  async publish(request: PublishRequest): Promise<void> {
    await this.call(PUBSUB, 'Publish', publishToWire(request));
  }

  /**
   * Opens PullMessages and sends the topic; returns once that first message is written (daprd does not wait
   * for a reply). Messages are then handled strictly one at a time, as daprd does: await the handler, ack
   * by id (`ack_error` on rejection), then read the next — or, with `deliverConcurrently`, each as it arrives. No ack is sent once `signal` has aborted. A stream the
   * plugin ends (e.g. it restarted) is reopened; unacked messages are the backend's to redeliver.
   */
  async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const topic = { topic: { name: request.topic, metadata: request.metadata ?? {} } };
    const concurrent = this.options.deliverConcurrently === true;
    await this.superviseStream(
      `PullMessages(${request.topic})`,
      () => {
        const call: PullStream = this.channel.bidi(PUBSUB, 'PullMessages');
        call.on('data', (message: WirePullMessagesResponse) => {
          if (concurrent) {
            void this.handle(call, message, handler, signal);
            return;
          }
          call.pause();
          void this.handle(call, message, handler, signal).finally(() => call.resume());
        });
        const ready = new Promise<void>((resolve, reject) =>
          call.write(topic, (err: Error | null | undefined) => (err ? reject(err) : resolve())),
        );
        return { stream: call, ready };
      },
      signal,
    );
  }

  async ping(): Promise<void> {
    await this.call(PUBSUB, 'Ping', {});
  }

  async pause(): Promise<void> {
    await this.call(PUBSUB, 'Pause', {});
  }

  async resume(): Promise<void> {
    await this.call(PUBSUB, 'Resume', {});
  }

  private async handle(
    call: PullStream,
    message: WirePullMessagesResponse,
    handler: MessageHandler,
    signal: AbortSignal,
  ): Promise<void> {
    let ackError: { message: string } | undefined;
    try {
      await handler(pubSubMessageFromWire(message));
    } catch (err) {
      ackError = { message: err instanceof Error ? err.message : String(err) };
    }
    if (signal.aborted || call.writableEnded || call.destroyed) return;
    call.write(ackError ? { ackMessageId: message.id, ackError } : { ackMessageId: message.id });
  }
}

export function remotePubSub(options: RemoteOptions): RemotePubSub {
  return new RemotePubSubClient(options);
}
