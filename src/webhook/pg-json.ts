/**
 * JSON text that Postgres `jsonb` accepts. Valid JSON may still hold what jsonb refuses: the escape `\u0000` and
 * lone UTF-16 surrogates (which JSON.stringify writes as escapes from `\ud800` to `\udfff`). A delivery carrying
 * them must still be stored, so in the derived columns (events, problems, headers) such characters become U+FFFD;
 * the raw body keeps the exact bytes.
 */
export function pgJson(value: unknown): string {
  const text = JSON.stringify(value);
  return MAYBE_REFUSED.test(text) ? JSON.stringify(replaceRefused(value)) : text;
}

/** Cheap pre-check on the serialized text; a false positive only costs the walk below. */
const MAYBE_REFUSED = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function cleanText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

function replaceRefused(value: unknown): unknown {
  if (typeof value === 'string') {
    return cleanText(value);
  }
  if (Array.isArray(value)) {
    return value.map(replaceRefused);
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [cleanText(key), replaceRefused(inner)]),
    );
  }
  return value;
}
