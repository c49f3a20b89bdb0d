/** Output bindings (spec §2.3): invoke by name with an allowed operation. */
import type { InvokeResponse, Metadata } from '@daprkit/component-sdk';
import type { ComponentTable } from '../composition/table.js';
import { type ApiError, apiError, errorText } from '../shared/errors.js';

function invokeError(name: string, inner: string): ApiError {
  return apiError('invokeOutputBinding', { message: `error invoking output binding ${name}: ${inner}` });
}

export async function invokeBinding(
  components: ComponentTable,
  request: { name: string; operation: string; data: Uint8Array; metadata: Metadata },
): Promise<InvokeResponse> {
  const { name, operation } = request;
  if (operation === '') throw invokeError(name, 'operation field is missing from request');
  const entry = components.outputBindings.get(name);
  if (entry === undefined) throw invokeError(name, `couldn't find output binding ${name}`);
  const operations = entry.binding.operations();
  if (!operations.includes(operation)) {
    throw invokeError(
      name,
      `binding ${name} does not support operation ${operation}. supported operations:${operations.join(' ')}`,
    );
  }
  try {
    return await entry.binding.invoke({ operation, data: request.data, metadata: request.metadata });
  } catch (error) {
    throw invokeError(name, errorText(error));
  }
}
