/** Revenue is summed as integer micro-units (1e-6 of the currency): exact, never a float sum. */
export const MICROS_PER_UNIT = 1_000_000n;

/**
 * A JSON number's value in micro-units. The number is read from its shortest decimal text
 * (`String(value)`, the text JSON.stringify writes), so `0.1` is exactly 100000 and not
 * whatever 0.1 * 1e6 rounds to. Digits past the sixth decimal are rounded half away
 * from zero, deterministically.
 */
export function toMicros(value: number): bigint {
  if (!Number.isFinite(value)) throw new RangeError(`revenue must be finite, got ${value}`);
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (!match) throw new RangeError(`unexpected number text ${text}`);
  const [, sign, whole, fraction = '', exponentText = '0'] = match;
  // value = digits * 10^(exponent - fraction.length); micro-units shift that by 6.
  const digits = BigInt(whole + fraction);
  const shift = Number(exponentText) - fraction.length + 6;
  let micros: bigint;
  if (shift >= 0) {
    micros = digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    micros = digits / divisor;
    if ((digits % divisor) * 2n >= divisor) micros += 1n;
  }
  return sign === '-' ? -micros : micros;
}

/** Micro-units as the shortest exact decimal text: 12500000n is "12.5", -1n is "-0.000001". */
export function microsToDecimal(micros: bigint): string {
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  const whole = magnitude / MICROS_PER_UNIT;
  const fraction = (magnitude % MICROS_PER_UNIT).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}
