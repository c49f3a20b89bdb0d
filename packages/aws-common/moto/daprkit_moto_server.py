"""moto's server (moto_server) with DynamoDB requests run one at a time and SQS's hot paths made linear.

moto's server is threaded, and its DynamoDB backend checks a ConditionExpression and then writes without a lock,
so two concurrent conditional writes on one item can both succeed (a lost update that real DynamoDB never allows).
daprkit's state store relies on conditional writes for ETags, so DynamoDB calls are serialised here; every other
service (notably SQS long polls, which block their thread) stays concurrent. Arguments are moto_server's.

SQS in moto 5.2.5 is quadratic where it need not be (profiled with 1,000 queued messages: ~0.5 s per ReceiveMessage,
~97% of it here): every received message recomputes *all* queue attributes three times to read the retention period
(each computation scans the queue for its message counts), every timestamp goes through naive-datetime arithmetic,
and a batch delete scans the queue twice per receipt handle. The patches below return the same answers without that
work; they are checked against moto's own behaviour by the snssqs tests (packages/pubsub-aws-snssqs/test).
"""

import sys
import threading
import time

import moto.sqs.models as sqs_models
from moto.moto_server import werkzeug_app
from moto.server import main

_SERIAL_BACKENDS = {"dynamodb"}
_lock = threading.Lock()


def _call(self, environ, start_response):
    app = self.get_application(environ)
    if any(self.app_instances.get(name) is app for name in _SERIAL_BACKENDS):
        with _lock:
            response = app(environ, start_response)
            # Flask has already run the handler; materialise the body inside the lock too.
            return [b"".join(response)]
    return app(environ, start_response)


werkzeug_app.DomainDispatcherApplication.__call__ = _call


# ---------- SQS: same answers, linear work ----------

_unix_time = sqs_models.unix_time


def _fast_unix_time(dt=None):
    # moto's unix_time(None) is now as epoch seconds, computed via utcnow() - utcfromtimestamp(0).
    return time.time() if dt is None else _unix_time(dt)


def _fast_unix_time_millis(dt=None):
    return _fast_unix_time(dt) * 1000.0


sqs_models.unix_time = _fast_unix_time
sqs_models.unix_time_millis = _fast_unix_time_millis


def _get_queue_attributes(self, queue_name, attribute_names):
    # moto's version, with queue.attributes (a scan of the queue) computed once instead of twice per name.
    queue = self.get_queue(queue_name)
    if not attribute_names:
        return {}
    valid_names = ["All"] + queue.BASE_ATTRIBUTES + queue.FIFO_ATTRIBUTES + queue.KMS_ATTRIBUTES
    invalid_name = next((name for name in attribute_names if name not in valid_names), None)
    if invalid_name or invalid_name == "":
        raise sqs_models.InvalidAttributeName(invalid_name)
    current = queue.attributes
    if "All" in attribute_names:
        return current
    return {name: current[name] for name in attribute_names if current.get(name) is not None}


def _retained(self, queue_name, message):
    # moto computes every queue attribute (three scans of the queue) to read this one field, once per message.
    retention_period = self.get_queue(queue_name).message_retention_period
    return retention_period + message.sent_timestamp / 1000 > time.time()


def _delete_messages(queue, handles):
    """Deletes the messages that ever had one of `handles`, in one pass; returns the handles that matched."""
    matched = set()
    kept = []
    for message in queue._messages:
        hit = [h for h in message.all_receipt_handles if h in handles]
        if hit:
            matched.update(hit)
            queue.pending_messages.discard(message)
            queue.deleted_messages.update(message.all_receipt_handles)
        else:
            kept.append(message)
    if matched:
        queue._messages = kept
    return matched


def _delete_message(self, queue_name, receipt_handle):
    queue = self.get_queue(queue_name)
    if receipt_handle in queue.deleted_messages:
        return  # already deleted: moto (and SQS) accept it again
    if not _delete_messages(queue, {receipt_handle}):
        raise sqs_models.ReceiptHandleIsInvalid()


def _delete_message_batch(self, queue_name, receipts):
    queue = self.get_queue(queue_name)
    wanted = {r["ReceiptHandle"] for r in receipts if r["ReceiptHandle"] not in queue.deleted_messages}
    _delete_messages(queue, wanted)
    success, errors = [], []
    for r in receipts:
        if r["ReceiptHandle"] in queue.deleted_messages:
            success.append(r["Id"])
        else:
            errors.append(
                {
                    "Id": r["Id"],
                    "SenderFault": True,
                    "Code": "ReceiptHandleIsInvalid",
                    "Message": f'The input receipt handle "{r["ReceiptHandle"]}" is not a valid receipt handle.',
                }
            )
    return success, errors


def _visible_messages(self):
    # moto's Queue.messages (visible and not delayed), reading the clock once per scan instead of twice per message;
    # it runs for every SendMessage too (ApproximateNumberOfMessages), so it is the queue's per-message cost.
    now = time.time() * 1000.0
    return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]


def _count_not_visible(self):
    now = time.time() * 1000.0
    return sum(1 for m in self._messages if not now > m.visible_at)


def _count_delayed(self):
    now = time.time() * 1000.0
    return sum(1 for m in self._messages if now < m.delayed_until)


_queue_attributes = sqs_models.Queue.attributes.fget
_sending = threading.local()


def _attributes(self):
    # SendMessage reads queue.attributes only for ContentBasedDeduplication (a FIFO attribute), but moto computes all
    # of them, including three scans of the queue for the message counts: answer that one attribute directly.
    if getattr(_sending, "active", False):
        return {"ContentBasedDeduplication": self.content_based_deduplication} if self.fifo_queue else {}
    return _queue_attributes(self)


_send_message = sqs_models.SQSBackend.send_message


def _send_message_cheaply(self, *args, **kwargs):
    _sending.active = True
    try:
        return _send_message(self, *args, **kwargs)
    finally:
        _sending.active = False


sqs_models.Queue.attributes = property(_attributes)
sqs_models.SQSBackend.send_message = _send_message_cheaply
sqs_models.Queue.messages = property(_visible_messages)
sqs_models.Queue.approximate_number_of_messages_not_visible = property(_count_not_visible)
sqs_models.Queue.approximate_number_of_messages_delayed = property(_count_delayed)
sqs_models.SQSBackend.get_queue_attributes = _get_queue_attributes
sqs_models.SQSBackend.is_message_valid_based_on_retention_period = _retained
sqs_models.SQSBackend.delete_message = _delete_message
sqs_models.SQSBackend.delete_message_batch = _delete_message_batch

if __name__ == "__main__":
    main(sys.argv[1:])
