import { chmod, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runTask } from "../../experiments/runTask.ts";
import { InputError } from "../../market/errors.ts";
import { type ClusterJob, indexedJobYaml, slurmFiles } from "../../sweep/cluster.ts";
import { collectRuns, writeResults } from "../../sweep/collect.ts";
import { executeRuns, type Progress, type Selection, selectRows } from "../../sweep/execute.ts";
import { planFromSpecFile } from "../../sweep/planFile.ts";
import { gitCommit } from "../../sweep/provenance.ts";
import { writeSweepReport } from "../../sweep/reportFiles.ts";
import { sweepStatus } from "../../sweep/status.ts";
import { loadSweep, NotASweepError, PlanExistsError, writeAtomic, writePlan } from "../../sweep/store.ts";
import { nonNegativeInteger, parseCommandArgs, positiveInteger } from "../args.ts";
import {
  BadPathError,
  type Command,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  type Io,
  UsageError,
} from "../command.ts";
import { version } from "../version.ts";
import { DEFAULT_POLICIES } from "./compare.ts";

const usage = `Usage: sfl-market sweep plan SPEC --out DIR [--force]
       sfl-market sweep run DIR [--index I [--chunk C] [--offset O] | --shard K/N | --all] [--quiet]
       sfl-market sweep status DIR [--json]
       sfl-market sweep collect DIR
       sfl-market sweep slurm DIR [--throttle K] [--chunk C]
       sfl-market sweep k8s DIR --image IMAGE --claim PVC [--mount PATH] [--parallelism P] [--chunk C]

Sensitivity studies: one run is one comparison of the policies on one scenario (the base scenario
with the run's axis values applied) and one seed (docs/sweeps.md).

sweep plan SPEC --out DIR   read SPEC (YAML or JSON), check it, write DIR/manifest.jsonl (one run a
                            line: runId, configHash, seed, params), DIR/sweep.json and DIR/meta.json.
                            A DIR with a different plan is refused unless --force.
sweep run DIR               run the selected runs, each into DIR/runs/<runId>.json (atomically);
                            runs already written are skipped, so a killed or resubmitted task
                            repeats nothing. --index I takes runs O+I*C .. O+I*C+C-1 (C = --chunk,
                            default 1; O = --offset, default 0); without a selection, I is
                            SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX. --shard K/N takes runs
                            K, K+N, K+2N, ...; --all takes every run. Ctrl-C stops after writing
                            the finished runs (exit 130).
sweep status DIR            counts of runs done, running, failed and missing.
sweep collect DIR           merge the finished runs into DIR/results.jsonl (manifest order) and
                            write DIR/report/index.html (per axis: PRINCE's speedup over each
                            baseline and the targets met, 95% bootstrap CIs over seeds) with one
                            SVG per figure; exit 1 (the finished runs written) when runs are missing.
sweep slurm DIR             write DIR/slurm/{array.sbatch,collect.sbatch,submit.sh}: a job array
                            --array=0-(n-1)%K of n = runs/C tasks (C runs each, default 1; K at
                            most at once) and a collect job that waits for it (afterok).
sweep k8s DIR               write DIR/k8s/job.yaml, an Indexed Job (completionMode: Indexed, one pod
                            per index, JOB_COMPLETION_INDEX) with DIR on the PersistentVolumeClaim PVC
                            mounted at PATH (default: DIR's absolute path).

Exit codes: 0 ok, 1 a run failed or a file could not be written, 2 bad input or usage.`;

/** The package's binary, which the cluster's nodes run (the same checkout or installed package). */
const BIN = fileURLToPath(new URL("../../bin/sfl-market.js", import.meta.url));

type Sub = (args: readonly string[], io: Io) => Promise<number>;

const subcommands: Record<string, Sub> = { plan, run, status, collect, slurm, k8s };

export const sweep: Command = {
  name: "sweep",
  summary: "sensitivity sweeps: plan, run (locally, Slurm arrays, Kubernetes), collect",
  usage,
  async run(args, io) {
    const [name, ...rest] = args;
    if (name === undefined) throw new UsageError(`give a subcommand: ${Object.keys(subcommands).join(", ")}`);
    const sub = subcommands[name];
    if (!sub)
      throw new UsageError(`unknown subcommand '${name}'; known: ${Object.keys(subcommands).join(", ")}`);
    try {
      return await sub(rest, io);
    } catch (e) {
      if (e instanceof NotASweepError || e instanceof PlanExistsError) throw new BadPathError(e.message);
      throw e;
    }
  },
};

function onePositional(positionals: readonly string[], what: string): string {
  if (positionals.length === 0) throw new UsageError(`give the ${what}`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  return positionals[0];
}

async function plan(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    out: { type: "string" },
    force: { type: "boolean" },
  });
  const specFile = onePositional(positionals, "spec file (sweep plan SPEC --out DIR)");
  if (values.out === undefined || values.out === "") throw new UsageError("--out DIR is required");
  const planned = await planFromSpecFile(specFile, DEFAULT_POLICIES, {
    version: version(),
    gitCommit: gitCommit(),
    node: process.version,
  });
  let status: "new" | "same";
  try {
    status = await writePlan(values.out, planned, values.force ?? false);
  } catch (e) {
    if (e instanceof PlanExistsError || e instanceof InputError) throw e;
    throw new BadPathError(`cannot write the plan into ${values.out}: ${(e as Error).message}`);
  }
  const points = new Set(planned.rows.map((r) => r.configHash)).size;
  io.err(
    `${status === "same" ? "unchanged" : "planned"}: ${planned.rows.length} runs (${points} points x ${(planned.meta.seeds as number[]).length} seeds) in ${values.out}\n`,
  );
  return EXIT_OK;
}

/** Which runs `sweep run` takes: a flag, or the array task's index from the environment. */
function selection(
  values: { index?: string; shard?: string; all?: boolean; chunk?: string; offset?: string },
  env: Io["env"],
): { sel: Selection; from: string } {
  const given = [values.index !== undefined, values.shard !== undefined, values.all === true].filter(Boolean);
  if (given.length > 1) throw new UsageError("give one of --index, --shard and --all");
  const chunk = positiveInteger("chunk", values.chunk) ?? 1;
  const offset = nonNegativeInteger("offset", values.offset) ?? 0;
  if (
    (values.chunk !== undefined || values.offset !== undefined) &&
    (values.shard !== undefined || values.all)
  )
    throw new UsageError("--chunk and --offset go with --index (or an array task's index)");
  if (values.all) return { sel: { kind: "all" }, from: "--all" };
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard);
    const [k, n] = m ? [Number(m[1]), Number(m[2])] : [Number.NaN, Number.NaN];
    if (!(n >= 1 && k < n))
      throw new UsageError(`--shard must be K/N with 0 <= K < N, got '${values.shard}'`);
    return { sel: { kind: "shard", k, n }, from: `--shard ${k}/${n}` };
  }
  for (const [flag, text] of [
    ["index", values.index],
    ["SLURM_ARRAY_TASK_ID", env.SLURM_ARRAY_TASK_ID],
    ["JOB_COMPLETION_INDEX", env.JOB_COMPLETION_INDEX],
  ] as const) {
    if (text === undefined || text === "") continue;
    const index = nonNegativeInteger(flag, text)!;
    return {
      sel: { kind: "index", index, chunk, offset },
      from: flag === "index" ? `--index ${index}` : `${flag}=${index}`,
    };
  }
  throw new UsageError(
    "give --index I, --shard K/N or --all (or run as a Slurm array task or an Indexed Job)",
  );
}

async function run(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    index: { type: "string" },
    shard: { type: "string" },
    all: { type: "boolean" },
    chunk: { type: "string" },
    offset: { type: "string" },
    quiet: { type: "boolean" },
  });
  const dir = onePositional(positionals, "sweep directory (sweep run DIR)");
  const { sel, from } = selection(values, io.env);
  const loaded = await loadSweep(dir);
  const positions = selectRows(loaded.rows.length, sel);
  if (typeof positions === "string") throw new UsageError(`${from}: ${positions}`);
  const interrupt = new AbortController();
  const stopListening = io.onInterrupt?.(() => {
    io.err("\ninterrupted: stopping; the finished runs are written\n");
    interrupt.abort();
  });
  const bar = values.quiet || io.errIsTTY !== true ? undefined : runsBar(io.err);
  let summary: Awaited<ReturnType<typeof executeRuns>>;
  try {
    summary = await executeRuns(loaded, positions, {
      run: runTask,
      signal: interrupt.signal,
      onProgress: bar?.update,
    });
  } finally {
    stopListening?.();
    bar?.done();
  }
  for (const f of summary.failed) io.err(`error: run ${f.runId}: policy ${f.policy} failed: ${f.message}\n`);
  io.err(
    `${from}: ${summary.selected} runs: ${summary.ran} ran, ${summary.skipped} already done, ${summary.failed.length} failed` +
      `${summary.interrupted ? ", stopped before the rest; run again to finish them" : ""}\n`,
  );
  if (summary.interrupted) return EXIT_INTERRUPTED;
  return summary.failed.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** One line redrawn in place on a terminal: runs done of the selection. */
function runsBar(write: (s: string) => void) {
  return {
    update(p: Progress) {
      const width = 24;
      const full = p.total === 0 ? width : Math.round((width * p.done) / p.total);
      write(
        `\r\x1b[2K[${"#".repeat(full)}${".".repeat(width - full)}] ${p.done}/${p.total} runs (${p.skipped} already done, ${p.failed} failed)`,
      );
    },
    done() {
      write("\n");
    },
  };
}

async function status(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { json: { type: "boolean" } });
  const dir = onePositional(positionals, "sweep directory (sweep status DIR)");
  const counts = await sweepStatus(await loadSweep(dir));
  if (values.json) io.out(`${JSON.stringify(counts)}\n`);
  else
    io.out(
      `${dir}: ${counts.runs} runs: ${counts.done} done, ${counts.running} running, ${counts.failed} failed, ${counts.missing} missing\n`,
    );
  return EXIT_OK;
}

async function collect(args: readonly string[], io: Io): Promise<number> {
  const { positionals } = parseCommandArgs(args, {});
  const dir = onePositional(positionals, "sweep directory (sweep collect DIR)");
  const loaded = await loadSweep(dir);
  const collected = await collectRuns(loaded);
  io.err(`wrote ${await writeResults(loaded, collected)} (${collected.records.length} runs)\n`);
  if (collected.records.length > 0) io.err(`wrote ${await writeSweepReport(loaded, collected.records)}\n`);
  if (collected.missing.length === 0) return EXIT_OK;
  io.err(
    `error: ${collected.missing.length} runs are missing (sweep status ${dir}); run them and collect again\n`,
  );
  return EXIT_FAILURE;
}

/** The sweep as a cluster sees it: absolute DIR, runs, chunk, and the command that starts sfl-market. */
async function clusterJob(dir: string, chunkText: string | undefined): Promise<ClusterJob> {
  const loaded = await loadSweep(dir);
  const name = `sfl-sweep-${String(loaded.meta.specHash ?? "x").slice(0, 8)}`;
  return {
    dir: resolve(dir),
    runs: loaded.rows.length,
    chunk: positiveInteger("chunk", chunkText) ?? 1,
    command: [process.execPath, BIN],
    name,
  };
}

async function writeFiles(dir: string, files: Record<string, string>, io: Io): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await writeAtomic(join(dir, name), text);
    if (name.endsWith(".sh") || name.endsWith(".sbatch")) await chmod(join(dir, name), 0o755);
    io.err(`wrote ${join(dir, name)}\n`);
  }
}

async function slurm(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    throttle: { type: "string" },
    chunk: { type: "string" },
  });
  const dir = onePositional(positionals, "sweep directory (sweep slurm DIR)");
  const job = await clusterJob(dir, values.chunk);
  await writeFiles(join(dir, "slurm"), slurmFiles(job, positiveInteger("throttle", values.throttle)), io);
  io.err(`submit with: bash ${join(dir, "slurm", "submit.sh")}\n`);
  return EXIT_OK;
}

async function k8s(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    image: { type: "string" },
    claim: { type: "string" },
    mount: { type: "string" },
    parallelism: { type: "string" },
    chunk: { type: "string" },
  });
  const dir = onePositional(positionals, "sweep directory (sweep k8s DIR)");
  if (!values.image) throw new UsageError("--image IMAGE is required (an image with Node and sfl-market)");
  if (!values.claim) throw new UsageError("--claim PVC is required (a ReadWriteMany claim holding DIR)");
  const job = await clusterJob(dir, values.chunk);
  const mount = values.mount ?? job.dir;
  const text = indexedJobYaml(
    { ...job, command: ["sfl-market"], dir: job.dir },
    {
      image: values.image,
      claim: values.claim,
      mount,
      parallelism: positiveInteger("parallelism", values.parallelism) ?? 10,
    },
  );
  await writeFiles(join(dir, "k8s"), { "job.yaml": text }, io);
  io.err(`submit with: kubectl apply -f ${join(dir, "k8s", "job.yaml")}\n`);
  return EXIT_OK;
}
