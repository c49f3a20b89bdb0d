import { field, InvalidMetadataError, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import { parseSchedule, type Schedule, ScheduleError } from './schedule.js';

/**
 * Component metadata (YAML `spec.metadata`), as contrib's `bindings.cron`. `direction` and `route` are read by
 * the runtime (daprd or the daprkit sidecar), not by the component; they are listed so the table is complete.
 */
export const cronMetadataSchema = {
  schedule: field.string({
    required: true,
    description:
      'When to fire: 5 fields (`min hour dom month dow`), 6 with leading seconds, `@every <duration>`, `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly`; optional `TZ=<zone> ` prefix.',
  }),
  direction: field.string({ description: "Read by the runtime: 'input' (what cron is), 'output', 'input, output'." }),
  route: field.string({ description: 'Read by the runtime: the app route events are POSTed to (default /<name>).' }),
};

export interface CronSettings {
  schedule: string;
  parsed: Schedule;
}

/** Validates the schedule with contrib's error texts (`schedule not set`, `invalid schedule format '<s>': …`). */
export function parseCronSettings(properties: Metadata): CronSettings {
  let m: ReturnType<typeof parseMetadata<typeof cronMetadataSchema>>;
  try {
    m = parseMetadata(properties, cronMetadataSchema);
  } catch (err) {
    // contrib's text for a missing schedule
    if (err instanceof InvalidMetadataError && err.field === 'schedule' && err.message.endsWith('is required')) {
      throw new InvalidMetadataError('schedule', 'schedule not set');
    }
    throw err;
  }
  try {
    return { schedule: m.schedule, parsed: parseSchedule(m.schedule) };
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    throw new InvalidMetadataError('schedule', `invalid schedule format '${m.schedule}': ${err.message}`);
  }
}
