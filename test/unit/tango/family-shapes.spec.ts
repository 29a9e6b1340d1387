import { formatShape, parseShape } from '../../../src/tango-contract/shape-grammar';
import { FAMILIES } from '../../../src/common/tango/families';
import { classifyShapeRefusal, droppableIssues, reducedShape } from '../../../src/tango/family-shapes';
import { conformToFullShape } from '../../../src/tango/record-fetcher';
import { TangoRequestError } from '../../../src/tango/tango-errors';

const invalidShape = (issues: unknown): TangoRequestError =>
  new TangoRequestError('client_error', 'Tango answered 400: Invalid shape', 400, false, null, {
    body: { error: 'Invalid shape', issues, available_fields: {} },
    detail: 'Invalid shape',
  });

describe('reading a shape refusal', () => {
  it('names the items of a 400 Invalid shape', () => {
    expect(
      classifyShapeRefusal('grants', invalidShape([{ path: 'synopsis', reason: 'not_expandable' }])),
    ).toEqual({
      kind: 'items',
      issues: [{ path: 'synopsis', reason: 'not_expandable' }],
    });
  });

  it('tells a tier refusal by its message whatever the status, or by a 403, on families whose shapes need a tier', () => {
    const tier = (status: number, detail: string): TangoRequestError =>
      new TangoRequestError('client_error', `Tango answered ${status}`, status, false, null, { detail });
    expect(classifyShapeRefusal('entities', tier(402, 'Response shaping requires the Pro tier'))).toEqual({
      kind: 'tier',
      message: 'Response shaping requires the Pro tier',
    });
    expect(classifyShapeRefusal('entities', tier(403, 'Forbidden'))?.kind).toBe('tier');
    // Contracts' shapes need no tier: a 403 there is not a shape refusal.
    expect(classifyShapeRefusal('contracts', tier(403, 'Forbidden'))).toBeNull();
    expect(classifyShapeRefusal('entities', tier(404, 'shaping requires the Pro tier'))).toBeNull();
  });

  it('is not a shape refusal when Tango says something else', () => {
    expect(
      classifyShapeRefusal(
        'contracts',
        new TangoRequestError('client_error', 'bad date', 400, false, null, {
          body: { award_date_gte: ['Enter a valid date.'] },
        }),
      ),
    ).toBeNull();
  });
});

describe('dropping refused items', () => {
  it('drops paths of the whole shape at any depth, never the id, and reports what it cannot heal', () => {
    expect(
      droppableIssues('grants', [
        { path: 'synopsis', reason: 'unknown_field' },
        { path: 'grant_id', reason: 'unknown_field' },
        { path: 'not_asked', reason: 'unknown_field' },
        { path: 'status.code', reason: 'unknown_field' },
      ]),
    ).toEqual({
      droppable: [
        { path: 'synopsis', reason: 'unknown_field' },
        { path: 'status.code', reason: 'unknown_field' },
      ],
      unhealable: ['grant_id', 'not_asked'],
    });
  });

  it('removes whole items, or single children at any depth, and expands left without children', () => {
    const shape = parseShape('a,b(*),c(x,y(p,q))');
    expect(formatShape(reducedShape(shape, ['b', 'c.x']))).toBe('a,c(y(p,q))');
    expect(formatShape(reducedShape(shape, ['c.y.p']))).toBe('a,b(*),c(x,y(q))');
    expect(formatShape(reducedShape(shape, ['c.x', 'c.y.p', 'c.y.q']))).toBe('a,b(*)');
  });
});

describe('conforming answers to the full shape', () => {
  it('names the fields a reduced shape did not ask for', () => {
    const shape = reducedShape(FAMILIES.grants.shape, ['synopsis']);
    const { record, missingFields } = conformToFullShape('grants', { grant_id: 1, title: 't' }, shape);
    expect(record).toEqual({ grant_id: 1, title: 't' });
    expect(missingFields).toEqual(['synopsis']);
  });

  it('keeps only full-shape fields of an unshaped answer and names the ones it lacks', () => {
    const { record, missingFields } = conformToFullShape(
      'grants',
      { grant_id: 1, title: 't', snippet: 's' },
      null,
    );
    expect(record).toEqual({ grant_id: 1, title: 't' });
    expect(missingFields).toContain('synopsis');
    expect(missingFields).not.toContain('title');
  });
});
