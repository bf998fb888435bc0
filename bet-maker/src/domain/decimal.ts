/**
 * Exact two-place decimals as bigint hundredths ("cents"); no floating point anywhere on the money path.
 */
export type Cents = bigint;

const DECIMAL = /^(0|[1-9]\d{0,15})(?:\.(\d{1,2}))?$/;

/** Why a decimal was refused, in words fit for a client. */
export type DecimalError = 'not a decimal' | 'more than two decimal places';

/**
 * Parses a plain decimal string ("10", "10.5", "10.50") into hundredths. Signs, exponents, spaces and
 * more than two places are refused.
 */
export function parseDecimal(text: string): Cents | DecimalError {
  const m = DECIMAL.exec(text);
  if (m === null) {
    return /^(0|[1-9]\d*)\.\d{3,}$/.test(text) ? 'more than two decimal places' : 'not a decimal';
  }
  const whole = m[1] ?? '0';
  const frac = (m[2] ?? '').padEnd(2, '0');
  return BigInt(whole) * 100n + BigInt(frac);
}

/**
 * A JSON number reaches us as a JS number: its shortest round-trip representation (`String(n)`) is what
 * the client most plausibly wrote, so 10.5 is "10.5" and 0.1 + 0.2 is refused for its many places.
 */
export function parseDecimalNumber(n: number): Cents | DecimalError {
  if (!Number.isFinite(n)) return 'not a decimal';
  return parseDecimal(String(n));
}

/** Writes hundredths with exactly two places: 1050n -> "10.50". */
export function formatCents(cents: Cents): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  const frac = (abs % 100n).toString().padStart(2, '0');
  return `${sign}${abs / 100n}.${frac}`;
}

/** Normalises a decimal string from a trusted source (the provider, PostgreSQL) to two places. */
export function normaliseDecimal(text: string): string {
  const cents = parseDecimal(text);
  if (typeof cents !== 'bigint') throw new Error(`not a two-place decimal: ${JSON.stringify(text)}`);
  return formatCents(cents);
}
