/**
 * Tango's `shape` grammar: a comma-separated list of `field[::alias][(children)]`, where `*` among the children
 * selects every child (`recipient(*)`, `recipient(uei,display_name::name)`). One parser and one printer for the
 * worker, the simulator and the contract tests.
 */

/** One node of a `shape` expression. */
export interface ShapeNode {
  readonly field: string;
  readonly alias: string;
  readonly children?: readonly ShapeNode[];
}

export class ShapeSyntaxError extends Error {
  readonly code = 'TANGO_CONTRACT.SHAPE_SYNTAX';

  constructor(message: string) {
    super(message);
    this.name = 'ShapeSyntaxError';
  }
}

/** Parses `a,b::alias,c(d,e(*))`. Throws ShapeSyntaxError on unbalanced parentheses or empty names. */
export function parseShape(text: string): ShapeNode[] {
  let position = 0;
  const parseList = (closing: boolean): ShapeNode[] => {
    const nodes: ShapeNode[] = [];
    for (;;) {
      const start = position;
      while (position < text.length && !',()'.includes(text.charAt(position))) {
        position += 1;
      }
      const token = text.slice(start, position).trim();
      const [field = '', alias] = token.split('::');
      if (field === '') {
        throw new ShapeSyntaxError(`empty field name at ${start}`);
      }
      let children: ShapeNode[] | undefined;
      if (text.charAt(position) === '(') {
        position += 1;
        children = parseList(true);
      }
      nodes.push({ field, alias: alias ?? field, ...(children === undefined ? {} : { children }) });
      const next = text.charAt(position);
      if (next === ',') {
        position += 1;
        continue;
      }
      if (next === ')') {
        if (!closing) {
          throw new ShapeSyntaxError(`unexpected ) at ${position}`);
        }
        position += 1;
        return nodes;
      }
      if (closing) {
        throw new ShapeSyntaxError('missing )');
      }
      return nodes;
    }
  };
  const nodes = parseList(false);
  if (position < text.length) {
    throw new ShapeSyntaxError(`unexpected input at ${position}`);
  }
  return nodes;
}

/** The text of a shape, the inverse of `parseShape`. */
export function formatShape(nodes: readonly ShapeNode[]): string {
  return nodes
    .map((node) => {
      const name = node.alias === node.field ? node.field : `${node.field}::${node.alias}`;
      return node.children === undefined ? name : `${name}(${formatShape(node.children)})`;
    })
    .join(',');
}
