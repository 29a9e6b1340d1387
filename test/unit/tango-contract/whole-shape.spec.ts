import { allFamilies, FAMILIES } from '../../../src/common/tango/families';
import { idListRequest, LIST_PAGE_SIZE } from '../../../src/tango/tango-requests';
import { reducedShape } from '../../../src/tango/family-shapes';
import { formatShape, parseShape } from '../../../src/tango-contract/shape-grammar';
import { tangoContract } from '../../../src/tango-contract/tango-contract';
import {
  compactShape,
  shapePaths,
  wholeShapeNodes,
  withoutPaths,
} from '../../../src/tango-contract/whole-shape';

/** The request lines most front ends accept (nginx's default large_client_header_buffers is 8 KB). */
const REQUEST_LINE_BUDGET = 8_000;

describe('whole shapes', () => {
  const contracts = tangoContract().resource('contracts');

  it('asks every field and every expand with all of its fields, a name both field and expand expanded', () => {
    const opportunities = tangoContract().resource('opportunities');
    const text = formatShape(wholeShapeNodes(opportunities));
    expect(text).toContain('meta(attachments_count,notices_count,notice_type(');
    expect(shapePaths(wholeShapeNodes(contracts))).toEqual(
      expect.arrayContaining(['key', 'recipient', 'recipient.uei', 'naics', 'transactions']),
    );
  });

  it('writes expands asked for whole as name(*), and keeps anything narrowed or dropped listed', () => {
    const whole = wholeShapeNodes(contracts);
    const compact = formatShape(compactShape(whole, contracts));
    expect(compact).toContain('recipient(*)');
    expect(compact.length).toBeLessThan(formatShape(whole).length / 2);
    // The same selection: parsing the short form and validating it finds nothing Tango would refuse.
    expect(contracts.validateShape(parseShape(compact))).toEqual([]);
    const narrowed = formatShape(compactShape(withoutPaths(whole, new Set(['recipient.uei'])), contracts));
    expect(narrowed).not.toContain('recipient(*)');
    expect(narrowed).toMatch(/recipient\((?!.*\buei\b)[a-z_,]+\)/);
  });

  it.each(
    allFamilies()
      .filter((descriptor) => descriptor.idListFilter !== null)
      .map((d) => [d.family] as const),
  )(
    'keeps a %s id-list request of 100 long ids with the whole record within an 8 KB request line',
    (family) => {
      const ids = Array.from(
        { length: LIST_PAGE_SIZE },
        (_, index) => `CONT_AWD_${String(index).padStart(46, '9')}`,
      );
      const request = idListRequest(family, ids, FAMILIES[family].shape);
      const url = new URL(`https://tango.makegov.com${request.path}`);
      for (const [name, value] of Object.entries(request.query)) {
        url.searchParams.set(name, value);
      }
      expect(`GET ${url.pathname}${url.search} HTTP/1.1`.length).toBeLessThan(REQUEST_LINE_BUDGET);
      // A drift-reduced shape still validates and is sent listed where it must be.
      const reduced = reducedShape(FAMILIES[family].shape, [shapePaths(FAMILIES[family].shape).at(-1) ?? '']);
      expect(() => idListRequest(family, ids.slice(0, 2), reduced)).not.toThrow();
    },
  );
});
