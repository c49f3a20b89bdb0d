import {
  type BindingEventHandler,
  FailedPreconditionError,
  type InputBinding,
  InvalidArgumentError,
  type InvokeRequest,
  type InvokeResponse,
  type Logger,
  type Metadata,
  type OutputBinding,
  silentLogger,
} from '@daprkit/component-sdk';
import { goUtcString, preciseNow } from './go-time.js';
import { type CronSettings, parseCronSettings } from './metadata.js';

/** setTimeout's ceiling; longer waits (`@yearly`) are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CronBindingOptions {
  logger?: Logger;
  /** The YAML `metadata.name`; the `delete` operation stops the running schedules of this name. */
  name?: string;
  /** Clock for tests (epoch ms, may carry a fraction). */
  now?: () => number;
}

/** One running scheduler: a timer chain that fires the handler on every activation. */
class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly settings: CronSettings,
    /** `at`: the tick's time, never before its scheduled instant (a wake-up may come up to 0.5 ms early). */
    private readonly fire: (at: number) => void,
    private readonly now: () => number,
  ) {}

  start(): void {
    this.arm(this.settings.parsed.next(this.now()));
  }

  private arm(at: number): void {
    if (this.stopped || !Number.isFinite(at)) return;
    const wait = Math.max(0, at - this.now());
    this.timer = setTimeout(
      () => {
        if (this.stopped) return;
        if (this.now() + 0.5 < at) return this.arm(at); // a chained long wait, or an early wake-up
        const tick = Math.max(this.now(), at);
        this.fire(tick);
        this.arm(this.settings.parsed.next(tick));
      },
      Math.min(Math.ceil(wait), MAX_TIMER_MS),
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

/** Running schedulers by component name, so an output `delete` can stop its input side (contrib's old behaviour). */
const running = new Map<string, Set<Scheduler>>();

function stopNamed(name: string): number {
  const set = running.get(name);
  if (set === undefined) return 0;
  for (const s of set) s.stop();
  running.delete(name);
  return set.size;
}

/**
 * `bindings.cron`: fires on a schedule. Each tick calls the handler with no data and metadata `timeZone`
 * (`Local`, as contrib reports) and `readTimeUTC` (Go's time text); results and errors are ignored (no retry)
 * and ticks overlap when the handler is slow, as in contrib.
 */
export class CronBinding implements InputBinding {
  private settings: CronSettings | undefined;
  private readonly schedulers = new Set<Scheduler>();
  private closed = false;
  private readonly logger: Logger;
  private readonly name: string;
  private readonly now: () => number;

  constructor(options: CronBindingOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.name = options.name ?? '';
    this.now = options.now ?? preciseNow;
  }

  async init(properties: Metadata): Promise<void> {
    this.settings = parseCronSettings(properties);
  }

  async read(handler: BindingEventHandler, signal: AbortSignal): Promise<void> {
    if (this.closed) throw new FailedPreconditionError('binding is closed');
    const settings = this.settings;
    if (settings === undefined) throw new FailedPreconditionError('cron binding is not initialised');
    if (signal.aborted) return;
    const scheduler = new Scheduler(
      settings,
      (at) => {
        const metadata = { timeZone: 'Local', readTimeUTC: goUtcString(at) };
        this.logger.debug('schedule fired', { name: this.name });
        handler({ data: new Uint8Array(), metadata }).catch((err: unknown) =>
          this.logger.debug('cron handler failed; the tick is not retried', { error: (err as Error).message }),
        );
      },
      this.now,
    );
    const remove = () => {
      scheduler.stop();
      this.schedulers.delete(scheduler);
      running.get(this.name)?.delete(scheduler);
    };
    signal.addEventListener('abort', remove, { once: true });
    this.schedulers.add(scheduler);
    let named = running.get(this.name);
    if (named === undefined) {
      named = new Set();
      running.set(this.name, named);
    }
    named.add(scheduler);
    scheduler.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.schedulers) {
      s.stop();
      running.get(this.name)?.delete(s);
    }
    this.schedulers.clear();
  }
}

/**
 * The `delete` operation of older contrib releases (removed upstream since): stops the running schedules of the
 * component with the same name in this process. Response metadata `schedule` and `stopTimeUTC`.
 */
export class CronControl implements OutputBinding {
  private settings: CronSettings | undefined;
  private readonly name: string;
  private readonly now: () => number;

  constructor(options: CronBindingOptions = {}) {
    this.name = options.name ?? '';
    this.now = options.now ?? preciseNow;
  }

  async init(properties: Metadata): Promise<void> {
    this.settings = parseCronSettings(properties);
  }

  operations(): readonly string[] {
    return ['delete'];
  }

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    if (request.operation !== 'delete') {
      throw new InvalidArgumentError(`invalid operation: '${request.operation}', only 'delete' supported`);
    }
    if (this.settings === undefined) throw new FailedPreconditionError('cron binding is not initialised');
    stopNamed(this.name);
    return { metadata: { schedule: this.settings.schedule, stopTimeUTC: goUtcString(this.now()) } };
  }
}
