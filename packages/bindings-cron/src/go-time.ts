/** Go's default `time.Time.String()` text for a UTC instant: `2026-08-21 10:00:00.123456789 +0000 UTC`. */
export function goUtcString(epochMs: number): string {
  const d = new Date(Math.floor(epochMs));
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const nanos = d.getUTCMilliseconds() * 1e6 + Math.min(999_999, Math.round((epochMs - Math.floor(epochMs)) * 1e6));
  const fraction = nanos === 0 ? '' : `.${pad(nanos, 9).replace(/0+$/, '')}`;
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction} +0000 UTC`
  );
}

/** Now, with the sub-millisecond part the high-resolution clock gives (Go prints nanoseconds). */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
