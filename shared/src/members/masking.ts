/**
 * Keeps the first character and masks each of the others with one `*` ('张三丰' → '张**', '张三' → '张*').
 * A one-character name still gets one `*`, so no name is ever shown whole.
 */
export function maskName(name: string): string {
  const characters = Array.from(name.trim()); // code points, so non-BMP characters are not split
  if (characters.length === 0) return '';
  return characters[0] + '*'.repeat(Math.max(1, characters.length - 1));
}

/** Keeps the first three and last four digits ('13812341234' → '138****1234'); shorter numbers are fully masked. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  const mainland = digits.length === 13 && digits.startsWith('86') ? digits.slice(2) : digits;
  if (mainland.length < 8) return '*'.repeat(mainland.length);
  return mainland.slice(0, 3) + '*'.repeat(mainland.length - 7) + mainland.slice(-4);
}
