/** Kubernetes resource quantities as daprd's `--max-body-size` / `--read-buffer-size` take them (`4Mi`, `16Ki`, `4M`). */

const SUFFIX: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE]|[eE][+-]?\d+)?$/;

/** Bytes in `text`; throws (naming `flag`) unless it is a whole number of bytes, like resource.Quantity.AsInt64. */
export function parseQuantityBytes(flag: string, text: string): number {
  const match = QUANTITY.exec(text.trim());
  if (!match)
    throw new Error(
      `invalid value for '${flag}' option: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
  const unit = match[2] ?? '';
  const factor = /^[eE]/.test(unit) ? 10 ** Number(unit.slice(1)) : SUFFIX[unit]!;
  const bytes = Number(match[1]) * factor;
  if (!Number.isSafeInteger(bytes))
    throw new Error(`invalid value for '${flag}' option: cannot get bytes from resource quantity value '${text}'`);
  return bytes;
}
