/** "a, b ,,c" → ["a", "b", "c"]: a comma- or whitespace-separated list as the API's string arrays. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((s) => s.length > 0);
}

/**
 * The API's field errors by the form's fields: "prefixes[1]" and "bfd.auth.secret" belong to the
 * inputs "prefixes" and "bfd"; an item's position is kept in the message ("item 2: …").
 */
export function byField(fields: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, messages] of Object.entries(fields)) {
    const m = /^([^.[]+)(?:\[(\d+)\])?/.exec(key);
    const field = m?.[1] ?? key;
    const prefix = m?.[2] !== undefined ? `item ${Number(m[2]) + 1}: ` : '';
    (out[field] ??= []).push(...messages.map((text) => prefix + text));
  }
  return out;
}
