// Mutation testing (`npm run mutate`; not part of `npm test`): StrykerJS changes the registry's
// layer entries and the shape rules one small edit at a time and runs the tests that cover
// each edit; a mutant that no test notices is a behaviour the suite does not pin down.
// The score and the survivors judged equivalent are listed in README.md, "Mutation testing".
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  mutate: ["src/layers/**/*.ts", "src/shapes.ts"],
  testRunner: "vitest",
  vitest: { configFile: "vitest.stryker.config.ts", related: true },
  // The tests that exercise the layers in-process. Tests that spawn the CLI cannot report
  // coverage to Stryker, and the formatter's and runtime's tests only slow each run down.
  testFiles: [
    "test/torch-agreement.test.ts",
    "test/torch-layers.test.ts",
    "test/diagnostics.test.ts",
    "test/property.test.ts",
    "test/docs.test.ts",
    "test/parser.test.ts",
    "test/grammar.test.ts",
    "test/lsp.test.ts",
    "test/train/lowering.test.ts",
    "test/train/torch-steps.test.ts",
    "test/train/generated.test.ts",
    "test/train/wasm-graph.test.ts",
  ],
  // Each mutant runs only the tests that executed its code in the dry run.
  coverageAnalysis: "perTest",
  // A static mutant (a value computed when the registry loads) needs every test above, each
  // time: several minutes apiece here. They are reported as ignored, not counted.
  ignoreStatic: true,
  concurrency: 2,
  // The machine is shared: a slow run is not yet an infinite loop.
  timeoutMS: 10_000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  // Stryker's default also prepends `// @ts-nocheck` to grammar/netc-diagrams.html, whose test
  // compares it byte for byte with the generator's output: only TypeScript sources need it.
  disableTypeChecks: "src/**/*.ts",
};
