import { isBulkPublisher, type PubSub, PubSubFeature } from './v1/pubsub.js';

/** Declared pub/sub features plus BULK_PUBSUB when bulkPublish exists; declaring it without the method throws. */
export function resolvePubSubFeatures(pubsub: PubSub): PubSubFeature[] {
  const features = new Set(pubsub.features());
  if (isBulkPublisher(pubsub)) features.add(PubSubFeature.BulkPublish);
  else if (features.has(PubSubFeature.BulkPublish)) {
    throw new TypeError('pub/sub declares BULK_PUBSUB but does not implement bulkPublish');
  }
  return [...features];
}
