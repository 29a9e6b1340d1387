import { tangoContract } from './src/tango-contract/tango-contract';
import { wholeShapeNodes, shapePaths } from './src/tango-contract/whole-shape';
import { FAMILIES } from './simulator/options';
import { FAMILY_SPECS } from './simulator/dataset/families';
import { createGenContext } from './simulator/dataset/context';
import { datasetSizesSchema } from './simulator/options';
const ctx = createGenContext(42, datasetSizesSchema.parse({}), '2026-08-14');
function paths(v: unknown, prefix: string, out: Set<string>) {
  const items = Array.isArray(v) ? v : [v];
  for (const it of items) if (it && typeof it === 'object' && !Array.isArray(it)) for (const [k, c] of Object.entries(it)) { out.add(prefix + k); paths(c, prefix + k + '.', out); }
}
for (const f of FAMILIES) {
  const r = tangoContract().resource(f);
  const gen = new Set<string>();
  for (let i = 0; i < 50; i++) paths(FAMILY_SPECS[f].generate(ctx, i), '', gen);
  console.log('==', f);
  for (const p of shapePaths(wholeShapeNodes(r))) {
    const o = r.observedType(p);
    console.log(gen.has(p) ? '  ' : '+ ', p, o ? `${o.kind} ${o.type} list=${o.isList} opt=${o.isOptional}` : 'NONE');
  }
}
