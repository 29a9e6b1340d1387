// The worker's module layering, checked by `npm run check` (npm run lint:deps). Each folder of src/ sits in one
// layer and may import only folders of lower layers (never a folder of its own layer or above), so there are no
// folder cycles and no upward arrows: the Tango client never reads the mirror, the webhook module never reaches the
// fetcher. The README's module table lists the same order. A new folder must be added to a layer here, or the
// `unlayered` rule fails.
/** @type {readonly (readonly string[])[]} lowest first */
const LAYERS = [
  ['tango-contract'],
  ['config'],
  ['common'],
  ['metrics', 'analyst-views'],
  ['database', 'kafka'],
  ['tango'],
  ['outbox', 'jobs'],
  ['sync-state', 'mirror'],
  ['history', 'events', 'webhook', 'resources'],
  ['backfill', 'fetcher'],
  ['reconcile', 'retention'],
  ['health', 'tango-side'],
  ['console'],
  ['(app)'],
  ['api-docs', 'cli'],
];

/** The path pattern of a folder of src/; `(app)` is the files directly in src/ (app.module, serve, main). */
const folder = (name) => (name === '(app)' ? '^src/[^/]+\\.ts$' : `^src/${name}/`);

const layeringRules = LAYERS.flatMap((layer, index) =>
  layer.map((name) => {
    const sameOrAbove = LAYERS.slice(index)
      .flat()
      .filter((other) => other !== name);
    return {
      name: `layer-${name.replace(/[()]/g, '')}`,
      severity: 'error',
      comment: `src/${name} (layer ${index}) may import only lower layers; not ${sameOrAbove.join(', ')}`,
      from: { path: folder(name) },
      to: { path: sameOrAbove.map(folder).join('|') },
    };
  }),
);

const layered = LAYERS.flat().map(folder).join('|');

module.exports = {
  forbidden: [
    ...layeringRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, between folders or files.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'unlayered',
      severity: 'error',
      comment: 'Every folder of src/ has a layer in .dependency-cruiser.cjs.',
      from: { path: '^src/', pathNot: layered },
      to: {},
    },
    {
      name: 'worker-never-imports-simulator',
      severity: 'error',
      comment: 'The simulator is a separate program; the worker never depends on it.',
      from: { path: '^src/' },
      to: { path: '^simulator/' },
    },
    {
      name: 'simulator-shares-only-the-contract',
      severity: 'error',
      comment: "The simulator shares only Tango's vendored contract and its grammar with the worker.",
      from: { path: '^simulator/' },
      to: { path: '^src/', pathNot: '^src/tango-contract/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|dist-bench|node_modules|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
