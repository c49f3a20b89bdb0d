/**
 * Input and output bindings. They are separate kinds with separate instance tables: a YAML binding used in
 * both directions gets two Inits (two connections, same header) and therefore two objects.
 */
import type { handleBidiStreamingCall, ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { InvalidArgumentError } from '../errors.js';
import type { BindingEventHandler, InputBinding, OutputBinding } from '../v1/bindings.js';
import type { Logger } from '../v1/common.js';
import { AckingStream, type StreamRegistry, startSafely } from './acking-stream.js';
import { bindingEventToWire, invokeFromWire, invokeResponseToWire } from './convert.js';
import type { InstanceTable } from './instances.js';
import { ServiceName } from './proto.js';
import { toServiceError } from './status.js';
import { initHandler, pingRun, unary } from './unary.js';
import {
  EMPTY_BYTES,
  type WireInvokeRequest,
  type WireInvokeResponse,
  type WireListOperationsResponse,
  type WireReadRequest,
  type WireReadResponse,
} from './wire.js';

type ReadCall = ServerDuplexStream<WireReadRequest, WireReadResponse>;

/** §7.3: no initial message; events go out at once and replies come back in any order, matched by id. */
function read(
  table: InstanceTable<'inputBinding'>,
  streams: StreamRegistry,
  logger: Logger,
): handleBidiStreamingCall<WireReadRequest, WireReadResponse> {
  return (call: ReadCall) => {
    let binding: InputBinding;
    try {
      binding = table.require(call.metadata);
    } catch (err) {
      call.emit('error', toServiceError(err));
      return;
    }
    const stream = new AckingStream<WireReadResponse, Uint8Array>(call, 'Read', logger, streams);
    call.on('data', (reply: WireReadRequest) => {
      if (!reply.messageId) {
        logger.debug('Read: ignoring a reply without message_id');
        return;
      }
      stream.settle(
        reply.messageId,
        reply.responseError != null
          ? { ok: false, message: reply.responseError.message }
          : { ok: true, value: reply.responseData ?? EMPTY_BYTES },
      );
    });
    const handler: BindingEventHandler = (event) => stream.deliver((id) => bindingEventToWire(event, id));
    startSafely(() => binding.read(handler, stream.signal)).catch((err: unknown) => stream.fail(err));
  };
}

const operations = (binding: OutputBinding): WireListOperationsResponse => ({ operations: [...binding.operations()] });

const invoke = async (binding: OutputBinding, request: WireInvokeRequest): Promise<WireInvokeResponse> => {
  if (!request.operation) throw new InvalidArgumentError('invoke request has no operation');
  return invokeResponseToWire(await binding.invoke(invokeFromWire(request)));
};

export function inputBindingServices(
  table: InstanceTable<'inputBinding'>,
  streams: StreamRegistry,
  logger: Logger,
): [ServiceName, UntypedServiceImplementation][] {
  return [
    [
      ServiceName.InputBinding,
      { Init: initHandler(table), Read: read(table, streams, logger), Ping: unary(table, pingRun) },
    ],
  ];
}

export function outputBindingServices(
  table: InstanceTable<'outputBinding'>,
): [ServiceName, UntypedServiceImplementation][] {
  return [
    [
      ServiceName.OutputBinding,
      {
        Init: initHandler(table),
        Invoke: unary(table, invoke),
        ListOperations: unary(table, operations),
        Ping: unary(table, pingRun),
      },
    ],
  ];
}
