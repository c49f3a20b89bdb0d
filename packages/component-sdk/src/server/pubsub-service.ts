import type { handleBidiStreamingCall, ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { InvalidArgumentError } from '../errors.js';
import { resolvePubSubFeatures } from '../features.js';
import type { Logger } from '../v1/common.js';
import { isBulkPublisher, type MessageHandler, type PubSub } from '../v1/pubsub.js';
import { AckingStream, type StreamRegistry, startSafely } from './acking-stream.js';
import {
  bulkPublishFromWire,
  bulkPublishResponseToWire,
  publishFromWire,
  pubSubMessageToWire,
  subscribeRequestFromWire,
} from './convert.js';
import type { InstanceTable } from './instances.js';
import { ServiceName } from './proto.js';
import { toServiceError } from './status.js';
import { initHandler, pingRun, unary, unimplemented } from './unary.js';
import type {
  WireBulkPublishRequest,
  WireBulkPublishResponse,
  WireFeaturesResponse,
  WirePublishRequest,
  WirePullMessagesRequest,
  WirePullMessagesResponse,
  WireTopic,
} from './wire.js';

const EMPTY = Object.freeze({});

const features = (pubsub: PubSub): WireFeaturesResponse => ({ features: resolvePubSubFeatures(pubsub) });

const publish = async (pubsub: PubSub, request: WirePublishRequest): Promise<object> => {
  await pubsub.publish(publishFromWire(request));
  return EMPTY;
};

const bulkPublish = async (pubsub: PubSub, request: WireBulkPublishRequest): Promise<WireBulkPublishResponse> => {
  if (!isBulkPublisher(pubsub)) unimplemented('this pub/sub instance does not support bulk publish (BULK_PUBSUB)');
  return bulkPublishResponseToWire(await pubsub.bulkPublish(bulkPublishFromWire(request)));
};

const pause = async (pubsub: PubSub): Promise<object> => {
  if (typeof pubsub.pause !== 'function') unimplemented('this pub/sub instance does not support pause');
  await pubsub.pause();
  return EMPTY;
};

const resume = async (pubsub: PubSub): Promise<object> => {
  if (typeof pubsub.resume !== 'function') unimplemented('this pub/sub instance does not support resume');
  await pubsub.resume();
  return EMPTY;
};

type PullCall = ServerDuplexStream<WirePullMessagesRequest, WirePullMessagesResponse>;

/**
 * §6.5: the first request must carry the topic; later ones are acks. The stream stays open until daprd
 * cancels it (ending it would kill the subscription for good), except for a bad first message or shutdown.
 */
function pullMessages(
  table: InstanceTable<'pubsub'>,
  streams: StreamRegistry,
  logger: Logger,
): handleBidiStreamingCall<WirePullMessagesRequest, WirePullMessagesResponse> {
  return (call: PullCall) => {
    let pubsub: PubSub;
    try {
      pubsub = table.require(call.metadata);
    } catch (err) {
      call.emit('error', toServiceError(err));
      return;
    }
    const stream = new AckingStream<WirePullMessagesResponse, void>(call, 'PullMessages', logger, streams);
    let subscribed = false;
    call.on('data', (request: WirePullMessagesRequest) => {
      if (!subscribed) {
        subscribed = true;
        if (request.topic == null) {
          stream.fail(new InvalidArgumentError('the first PullMessages request must carry a topic'));
          return;
        }
        subscribe(pubsub, request.topic, stream, logger);
        return;
      }
      if (!request.ackMessageId) {
        logger.debug('PullMessages: ignoring a request without ack_message_id');
        return;
      }
      stream.settle(
        request.ackMessageId,
        request.ackError != null ? { ok: false, message: request.ackError.message } : { ok: true, value: undefined },
      );
    });
  };
}

function subscribe(
  pubsub: PubSub,
  topic: WireTopic,
  stream: AckingStream<WirePullMessagesResponse, void>,
  logger: Logger,
): void {
  const request = subscribeRequestFromWire(topic);
  const handler: MessageHandler = (message) => stream.deliver((id) => pubSubMessageToWire(message, id, request.topic));
  logger.debug('PullMessages: subscribing', { topic: request.topic });
  startSafely(() => pubsub.subscribe(request, handler, stream.signal)).catch((err: unknown) => stream.fail(err));
}

export function pubSubServices(
  table: InstanceTable<'pubsub'>,
  streams: StreamRegistry,
  logger: Logger,
): [ServiceName, UntypedServiceImplementation][] {
  return [
    [
      ServiceName.PubSub,
      {
        Init: initHandler(table),
        Features: unary(table, features),
        Publish: unary(table, publish),
        BulkPublish: unary(table, bulkPublish),
        PullMessages: pullMessages(table, streams, logger),
        Ping: unary(table, pingRun),
        Pause: unary(table, pause),
        Resume: unary(table, resume),
      },
    ],
  ];
}
