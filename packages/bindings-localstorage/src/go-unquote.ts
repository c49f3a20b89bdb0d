/**
 * Go's `strconv.Unquote` on bytes: a `"…"` literal with Go escapes, a back-quoted raw literal, or a single-quoted
 * character. Returns undefined when the bytes are not exactly one such literal (contrib then keeps them as they are).
 */
const SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34 };

export function goUnquote(input: Uint8Array): Uint8Array | undefined {
  if (input.length < 2) return undefined;
  const text = Buffer.from(input).toString('latin1'); // one char per byte, so indices are byte offsets
  const quote = text[0]!;
  if (quote !== text[text.length - 1]) return undefined;
  const body = text.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) return undefined;
    return Buffer.from(body.replaceAll('\r', ''), 'latin1');
  }
  if (quote !== '"' && quote !== "'") return undefined;
  if (body.includes('\n')) return undefined;
  const out: number[] = [];
  const pushRune = (cp: number): boolean => {
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
    return true;
  };
  let runes = 0;
  for (let i = 0; i < body.length; ) {
    const c = body[i]!;
    runes++;
    if (c === quote) return undefined; // an unescaped quote inside
    if (c !== '\\') {
      // Copy one UTF-8 sequence (or a stray byte) verbatim.
      const b = body.charCodeAt(i);
      const len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      for (let k = 0; k < len && i + k < body.length; k++) out.push(body.charCodeAt(i + k));
      i += len;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return undefined;
    if (e in SIMPLE) {
      if ((e === "'" && quote === '"') || (e === '"' && quote === "'")) return undefined;
      out.push(SIMPLE[e]!);
      i += 2;
      continue;
    }
    const hex = (n: number) => {
      const digits = body.slice(i + 2, i + 2 + n);
      return digits.length === n && /^[0-9a-fA-F]+$/.test(digits) ? Number.parseInt(digits, 16) : undefined;
    };
    if (e === 'x') {
      const v = hex(2);
      if (v === undefined) return undefined;
      out.push(v);
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const v = hex(n);
      if (v === undefined || !pushRune(v)) return undefined;
      i += 2 + n;
    } else if (e >= '0' && e <= '7') {
      const digits = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(digits)) return undefined;
      const v = Number.parseInt(digits, 8);
      if (v > 255) return undefined;
      out.push(v);
      i += 4;
    } else {
      return undefined;
    }
  }
  if (quote === "'" && runes !== 1) return undefined;
  return new Uint8Array(out);
}

/** Whether Go's `base64.StdEncoding.DecodeString` accepts the text (padding required; CR/LF ignored). */
export function isStdBase64(text: string): boolean {
  const s = text.replace(/[\r\n]/g, '');
  return /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s);
}
