/**
 * MQTT topic filters: `+` matches one level, `#` the rest (also the parent level itself), and
 * `$share/<group>/<filter>` is a shared subscription whose messages carry topics matching `<filter>`.
 */

const SHARE = /^\$share\/[^/]+\/(.+)$/;

/** The filter messages are matched against: the share prefix removed. */
export function effectiveFilter(filter: string): string {
  const m = SHARE.exec(filter);
  return m === null ? filter : m[1]!;
}

/** True when `filter` (a subscription, possibly `$share/…`) matches the concrete `topic`. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = effectiveFilter(filter).split('/');
  const t = topic.split('/');
  // Filters starting with a wildcard never match topics starting with '$' (MQTT 3.1.1 §4.7.2).
  if ((f[0] === '+' || f[0] === '#') && topic.startsWith('$')) return false;
  for (let i = 0; i < f.length; i++) {
    const part = f[i]!;
    if (part === '#') return true;
    if (i >= t.length) return false;
    if (part !== '+' && part !== t[i]) return false;
  }
  return f.length === t.length || (f.length === t.length + 1 && f[f.length - 1] === '#');
}

/** True when the filter has wildcards (after removing a share prefix). */
export function hasWildcards(filter: string): boolean {
  return /(^|\/)[+#](\/|$)/.test(effectiveFilter(filter));
}
