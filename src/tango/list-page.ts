import { z } from 'zod';
import { type TangoAnswer } from './tango-client';
import { TangoRequestError } from './tango-errors';

/** A list answer (both pagination styles); records are kept whole: unknown fields are mirrored, never dropped. */
export const listPageSchema = z.looseObject({
  results: z.array(z.record(z.string(), z.json())),
  next: z.string().nullable().optional(),
  cursor: z.string().nullable().optional(),
  count: z.number().optional(),
});

export type ListPage = z.infer<typeof listPageSchema>;

/** The page in a list answer; anything else (a 200 that is not a list, another status) is a retryable error. */
export function parseListPage(what: string, answer: TangoAnswer): ListPage {
  const page = listPageSchema.safeParse(answer.body);
  if (answer.status !== 200 || !page.success) {
    throw new TangoRequestError(
      'invalid_body',
      `${what} list answer is not a list (${answer.status})`,
      answer.status,
      true,
    );
  }
  return page.data;
}
