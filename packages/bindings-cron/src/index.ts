import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { CronBinding, CronControl } from './cron-binding.js';
import { cronMetadataSchema } from './metadata.js';
import { VERSION } from './version.js';

export { CronBinding, type CronBindingOptions, CronControl } from './cron-binding.js';
export { goUtcString } from './go-time.js';
export { cronMetadataSchema, parseCronSettings } from './metadata.js';
export { parseSchedule, type Schedule, ScheduleError } from './schedule.js';
export { VERSION } from './version.js';

/** A cron input binding for `metadata` (YAML-style properties), for embedding without a runtime. */
export function createCronBinding(options: ConstructorParameters<typeof CronBinding>[0] = {}): CronBinding {
  return new CronBinding(options);
}

/**
 * Served as `bindings.daprkit-cron` over a socket and as `bindings.cron` in the daprkit sidecar: the input
 * binding, plus the output side whose only operation, `delete`, stops the schedule.
 */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'inputBinding',
    socketName: 'daprkit-cron',
    types: ['bindings.cron'],
    packageName: '@daprkit/bindings-cron',
    version: VERSION,
    metadata: cronMetadataSchema,
    create: ({ logger, instanceName }) => new CronBinding({ logger, name: instanceName }),
  }),
  defineComponent({
    kind: 'outputBinding',
    socketName: 'daprkit-cron',
    types: ['bindings.cron'],
    packageName: '@daprkit/bindings-cron',
    version: VERSION,
    metadata: cronMetadataSchema,
    create: ({ instanceName }) => new CronControl({ name: instanceName }),
  }),
];
