/**
 * sfl-market as a library: the public API, re-exported from one place so that
 * `import { solveStackelberg, runEpisode, MarketEnv } from "sfl-market"` works (docs/library.md).
 *
 * The modules that have an index file (market/, policies/, props/) are re-exported whole: their
 * index is their public API. env/, agents/ and report/ are re-exported piece by piece, leaving out
 * helpers that only their own modules use. Names that two modules share are resolved here, by
 * name (an explicit export wins over `export *`):
 *   - env/simulation's TenantOutcome, Trajectory and BoundPoint (what runEpisode returns) keep
 *     their names; report/types' records of the same names (rows of a ComparisonData) are
 *     ReportTenantOutcome, ReportTrajectory and ReportBoundPoint, and its Distribution is
 *     ReportDistribution.
 *   - MarketEnv is the PettingZoo-style parallel environment, the same class as MarketParallelEnv.
 */

// ---- agents/: the reactive runtime ----
export * from "./agents/comparison.ts";
export * from "./agents/runtime.ts";
export * from "./agents/streamAgent.ts";

// ---- env/: the world, the simulation and the environment API ----
export * from "./env/checkEnv.ts";
export * from "./env/compile.ts";
export * from "./env/errors.ts";
export * from "./env/events.ts";
export {
  boundConstants,
  boundGapAt,
  buildLearner,
  DEFAULT_CURVATURE,
  DEFAULT_INITIAL_GAP,
  DEFAULT_KNOWLEDGE_NOISE,
  expectedGapCurve,
  type Knowledge,
  type Learner,
  type LearnerBound,
  type LearnerOptions,
  learnerValuation,
  lossGap,
  type RoundScratch,
  type ServerSchedule,
  type TenantLearner,
} from "./env/learner.ts";
export * from "./env/parallelEnv.ts";
export { MarketParallelEnv as MarketEnv } from "./env/parallelEnv.ts";
export * from "./env/population.ts";
export * from "./env/presets.ts";
export * from "./env/profiles.ts";
export * from "./env/rng.ts";
export * from "./env/roundLearner.ts";
export * from "./env/scenario.ts";
export * from "./env/scenarioFile.ts";
export {
  type Actions,
  type ActiveMarket,
  activeMarket,
  activeTenants,
  type BoundPoint,
  deviceRewards,
  EpisodeCancelled,
  type EpisodeOptions,
  type EpisodePolicies,
  type EpisodeResult,
  type InFlightRound,
  initial,
  observe,
  type PostedPrices,
  postPrices,
  reward,
  runEpisode,
  type SimOptions,
  type State,
  type StepSummary,
  type StepTenantSummary,
  type TenantOutcome,
  type TenantState,
  type TenantStatus,
  type Trajectory,
  terminal,
  transition,
  World,
} from "./env/simulation.ts";
export { type IsolatedPolicy, type IsolationOptions, loadIsolatedPolicy } from "./io/isolatedPolicy.ts";
// user policy modules by path, loaded in this thread (docs/plugins.md; the CLI runs them in a worker)
export {
  type LoadedPolicy,
  loadDevicePolicyModule,
  loadPolicyModule,
  loadTenantPolicyModule,
  type ModuleSpec,
  POLICY_MODULE_EXTENSIONS,
  type PolicyKind,
  PolicyModuleError,
  type PolicyModuleErrorCode,
} from "./io/loadModule.ts";
// the registry is pure; the library's resolvers are the registry's with io's loaders injected
export { resolveDevicePolicy, resolveTenantPolicy } from "./io/policyLoaders.ts";
// ---- market/: the game as pure functions ----
export * from "./market/index.ts";
// ---- policies/: pricing and device policies, their registry and interfaces ----
export * from "./policies/index.ts";
// the learned policies load TensorFlow.js when called, not when "sfl-market" is imported
export {
  type DeviceTrainOptions,
  type TrainedDeviceAgent,
  trainDevicePolicy,
} from "./policies/learned/lazy.ts";

// ---- props/: property suites and their runner ----
export * from "./props/index.ts";
// checks of a user's policy (what `sfl-market check` runs; docs/plugins.md)
export {
  type AsyncSuiteProperty,
  checkDevicePolicy,
  checkTenantPolicy,
  DEVICE_POLICY_CHECKS,
  type DeviceCase,
  deviceCaseArb,
  devicePolicyProperties,
  type FormatPolicyChecksOptions,
  formatPolicyChecks,
  type GuardStats,
  marketObservationArb,
  type PolicyCheckOptions,
  type PolicyCheckReport,
  type PolicyCheckResult,
  type PolicyPropertyOptions,
  runAsyncProperty,
  TENANT_POLICY_CHECKS,
  type TenantPolicySuite,
  tenantPolicyProperties,
} from "./props/policyChecks.ts";

// ---- report/: the comparison report's data and renderers ----
export { comparisonData } from "./report/fromRuns.ts";
export { renderReport } from "./report/html.ts";
export { averageRanks, median, quantile, spearman } from "./report/stats.ts";
export {
  type Axis,
  type Bar,
  type BarChartOptions,
  type BarGroup,
  type BoxGroup,
  type BoxPlotOptions,
  type BoxStats,
  barChart,
  boxPlot,
  boxStats,
  type LegendItem,
  type LegendSymbol,
  type LineChartOptions,
  type LineSeries,
  legendSvg,
  linearAxis,
  lineChart,
  logAxis,
  PALETTE,
  type Point,
  pooledMedianPath,
  type ScatterOptions,
  type ScatterPoint,
  type SeriesStyle,
  SHAPES,
  type Shape,
  scatterLogLog,
  seriesStyles,
  styleAt,
} from "./report/svg.ts";
export {
  PRINCE,
  policyOrder,
  princeOf,
  renderTable,
  summarise,
  type TableRow,
  type TenantBlock,
  tableBlocks,
  tenantOrder,
} from "./report/table.ts";
export type {
  BoundPoint as ReportBoundPoint,
  ComparisonData,
  Distribution as ReportDistribution,
  SummaryRow,
  TenantOutcome as ReportTenantOutcome,
  Trajectory as ReportTrajectory,
} from "./report/types.ts";
export * from "./report/uncertainty/index.ts";
export {
  type UncertaintyOptions,
  type UncertaintyRow,
  type UncertaintySummary,
  uncertaintySummary,
} from "./report/uncertaintySummary.ts";
