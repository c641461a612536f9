/** Numbers as netc prints them: Python's formatting where the seed notebook's lines are reproduced. */

/** Python's `f"{x:.{digits}f}"`: like toFixed, but exact ties round half to even. */
export function pyFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  // Doubles this large are integers; toFixed would switch to exponent notation, Python doesn't.
  if (Math.abs(x) >= 1e21) return `${x < 0 ? "-" : ""}${BigInt(Math.abs(x))}${digits ? "." + "0".repeat(digits) : ""}`;
  const plain = x.toFixed(digits);
  // toFixed(100) is the double's exact decimal expansion as far as a tie can matter.
  const full = x.toFixed(100);
  const dot = full.indexOf(".");
  if (!/^50*$/.test(full.slice(dot + 1 + digits))) return plain;
  const truncated = full.slice(0, digits ? dot + 1 + digits : dot);
  const last = Number(truncated.at(-1));
  return last % 2 === 0 ? truncated : plain;
}

/** 7281.3 → "7,281". Not toLocaleString: loading ICU costs more than printing a whole shape table. */
export function thousands(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A count for messages: exact up to 2^53, beyond that its order of magnitude ("about 4.0×10^17"). */
export function countText(n: number): string {
  if (n <= Number.MAX_SAFE_INTEGER) return thousands(n);
  if (!Number.isFinite(n)) return "more than 10^308";
  const exponent = Math.floor(Math.log10(n));
  return `about ${(n / 10 ** exponent).toFixed(1)}×10^${exponent}`;
}
