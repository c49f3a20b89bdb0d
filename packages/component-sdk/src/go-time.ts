/** Go's text forms of times and durations, for response metadata contrib fills with `time.Format`/`Duration.String`. */

/** `time.Time.Format(time.RFC3339Nano)` of a UTC instant given in nanoseconds since the epoch (trailing zeros trimmed). */
export function goRfc3339Nano(epochNs: bigint): string {
  const ms = epochNs / 1_000_000n;
  const date = new Date(Number(ms)).toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
  const fraction = ((epochNs % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const digits = fraction.toString().padStart(9, '0').replace(/0+$/, '');
  return `${date}${digits === '' ? '' : `.${digits}`}Z`;
}

function trimFraction(whole: bigint, fraction: bigint, width: number): string {
  const digits = fraction.toString().padStart(width, '0').replace(/0+$/, '');
  return digits === '' ? whole.toString() : `${whole}.${digits}`;
}

/** `time.Duration.String()`: `0s`, `850ns`, `1.5µs`, `1.234ms`, `2.5s`, `1m30s`, `2h0m0s`. */
export function goDurationString(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  if (abs < 1_000n) return `${sign}${abs}ns`;
  if (abs < 1_000_000n) return `${sign}${trimFraction(abs / 1_000n, abs % 1_000n, 3)}µs`;
  if (abs < 1_000_000_000n) return `${sign}${trimFraction(abs / 1_000_000n, abs % 1_000_000n, 6)}ms`;
  const hours = abs / 3_600_000_000_000n;
  const minutes = (abs / 60_000_000_000n) % 60n;
  const seconds = trimFraction((abs / 1_000_000_000n) % 60n, abs % 1_000_000_000n, 9);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** A wall-clock reading with nanosecond resolution: epoch milliseconds anchored once, advanced by `hrtime`. */
const anchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
export function nowEpochNs(): bigint {
  return anchorNs + process.hrtime.bigint();
}
