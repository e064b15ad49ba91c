import { rmdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { PRESET_NAMES, presetScenario } from "../../env/presets.ts";
import type { Scenario } from "../../env/scenario.ts";
import { acquireRunLock, type RunLock, RunLockedError } from "../../io/runLock.ts";
// types only (erased): tfjs itself is loaded by run(), so other commands never pay for it
import type { CurveRow, Trainer as TrainerType, TrainingState } from "../../policies/learned/trainer.ts";
import { nonNegativeInteger, oneOf, parseCommandArgs } from "../args.ts";
import {
  BadPathError,
  type Command,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  type Io,
  UsageError,
} from "../command.ts";
import { fsProblem, removeStaleTemps, writeChecked } from "../output.ts";
import { readScenarioFile } from "../scenarioInput.ts";
import { shellLine } from "../shellWords.ts";

const BACKENDS = ["auto", "tensorflow", "wasm", "cpu"] as const;
const REWARD_KINDS = ["time", "valuation"] as const;

const usage = `Usage: sfl-market train [--preset paper|tiny|stress | --scenario FILE] --episodes N --out DIR
                        [--resume] [--seed S] [--rivals learned|prince|uniform|...]
                        [--learners a,b,...] [--reward time|valuation] [--batch-episodes N]
                        [--backend auto|tensorflow|wasm|cpu] [--allow-backend-change] [--quiet]

Trains learned tenant pricing policies with PPO (Schulman et al. 2017) on TensorFlow.js: each
learning tenant posts P_ij = s * s0 * w_ij^a * c_ij^b and learns (log s, a, b) from its
observations (docs/learned.md). Training episode e uses the seed "train/S/e", never one of
compare's numeric seeds. After every episode the run is checkpointed in DIR (atomically) and
DIR/curve.csv and DIR/curve.svg are rewritten; evaluate the result with
\`sfl-market compare --policies prince,learned:DIR\`.

--preset NAME        a built-in scenario (default paper)
--scenario FILE      a scenario file instead of a preset
--episodes N         train until N episodes are complete (required)
--out DIR            the run's directory (checkpoints, curve.csv, curve.svg)
--resume             continue the run saved in DIR after its last completed episode
--seed S             the run's seed, an integer (default 1)
--rivals SPEC        the policy of the tenants that do not learn (default learned: every tenant
                     learns, as independent learners); e.g. prince, uniform, single-tenant
--learners LIST      the tenants that learn (default: every tenant; required with fixed --rivals)
--reward KIND        valuation (default): -ln(V_i(q)/V_i*) per step, the bound's objective;
                     time: -elapsed/deadline plus the env's log-gap progress as a
                     potential-based shaping (the true objective, but noisy: needs long runs)
--batch-episodes N   episodes per PPO update (default 1)
--backend NAME       tfjs backend (default auto: tensorflow if @tensorflow/tfjs-node loads, else
                     wasm, else cpu; also SFL_TFJS_BACKEND)
--allow-backend-change  with --resume: continue on another backend than the run's (its numbers
                     differ in the last bits, so the curve changes); refused without it
--quiet              no progress display

DIR is locked while a run writes it (a second train into DIR stops at once). --resume verifies the
checkpoint first (the checksum of every file, the episode count) and names a damaged file.
Ctrl-C stops after the current episode, whose checkpoint is kept; a second Ctrl-C quits at once.

Exit codes: 0 trained, 1 a failure during training (the last checkpoint is kept), 2 bad input,
usage, a damaged checkpoint or a locked DIR, 130 interrupted.`;

export const train: Command = {
  name: "train",
  summary: "train learned (PPO, TensorFlow.js) tenant pricing policies; checkpoints and a learning curve",
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      preset: { type: "string" },
      scenario: { type: "string" },
      episodes: { type: "string" },
      out: { type: "string" },
      resume: { type: "boolean" },
      seed: { type: "string" },
      rivals: { type: "string" },
      learners: { type: "string" },
      reward: { type: "string" },
      "batch-episodes": { type: "string" },
      backend: { type: "string" },
      "allow-backend-change": { type: "boolean" },
      quiet: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.preset !== undefined && values.scenario !== undefined)
      throw new UsageError("give either --preset or --scenario, not both");
    const episodes = nonNegativeInteger("episodes", values.episodes);
    if (episodes === undefined) throw new UsageError("--episodes N is required");
    if (episodes < 1) throw new UsageError("--episodes must be at least 1");
    const out = values.out;
    if (out === undefined || out === "") throw new UsageError("--out DIR is required");
    const preset = oneOf("preset", values.preset, PRESET_NAMES);
    const seed = nonNegativeInteger("seed", values.seed);
    const reward = oneOf("reward", values.reward, REWARD_KINDS);
    const backendChoice = oneOf("backend", values.backend, BACKENDS);
    const batchEpisodes = nonNegativeInteger("batch-episodes", values["batch-episodes"]);
    if (batchEpisodes !== undefined && batchEpisodes < 1)
      throw new UsageError("--batch-episodes must be at least 1");
    const rivals = values.rivals?.trim();
    if (rivals === "") throw new UsageError("--rivals needs a policy");
    const learners = values.learners
      ?.split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");

    // refuse an --out that is a file before anything else (and take the run's lock)
    const outInfo = await stat(out).catch(() => null);
    if (outInfo && !outInfo.isDirectory())
      throw new BadPathError(`--out ${out} is a file, not a directory; give the run's directory`);
    let lock: RunLock;
    try {
      lock = await acquireRunLock(out);
    } catch (e) {
      if (e instanceof RunLockedError) throw new BadPathError(e.message);
      throw new BadPathError(fsProblem(out, e, "create the run directory"));
    }
    try {
      return await trainRun(io, {
        ...values,
        episodes,
        out,
        preset,
        seed,
        reward,
        backendChoice,
        batchEpisodes,
        rivals,
        learners,
        args,
      });
    } finally {
      await lock.release();
      // a directory this command created and left empty (it stopped before any checkpoint) goes too
      if (!outInfo) await rmdir(out).catch(() => undefined);
    }
  },
};

interface TrainRequest {
  readonly episodes: number;
  readonly out: string;
  readonly preset?: (typeof PRESET_NAMES)[number];
  readonly scenario?: string;
  readonly resume?: boolean;
  readonly seed?: number;
  readonly reward?: (typeof REWARD_KINDS)[number];
  readonly backendChoice?: (typeof BACKENDS)[number];
  readonly batchEpisodes?: number;
  readonly rivals?: string;
  readonly learners?: string[];
  readonly quiet?: boolean;
  readonly "allow-backend-change"?: boolean;
  readonly args: readonly string[];
}

/** The run itself, with DIR locked: resume or start, then episodes until done or interrupted. */
async function trainRun(io: Io, r: TrainRequest): Promise<number> {
  const { out, episodes, preset, seed, reward, batchEpisodes, rivals, learners } = r;
  // tfjs is loaded only by the commands that learn
  const { initBackend } = await import("../../policies/learned/backend.ts");
  const { Trainer, trainConfig } = await import("../../policies/learned/trainer.ts");
  const { CheckpointError, hasCheckpoint, loadCheckpoint, readCheckpointFile, saveCheckpoint } = await import(
    "../../io/checkpoint.ts"
  );
  const { curveCsv, curveSvg } = await import("../../report/charts/trainingCurve.ts");
  const { resolveTenantPolicy } = await import("../../policies/registry.ts");

  // what a run killed mid-write left behind (temporary files and directories of dead processes)
  await removeStaleTemps(out);
  await removeStaleTemps(join(out, "checkpoints"));
  const exists = await hasCheckpoint(out);
  let scenarioName: string;
  let trainedOn: string | null = null;
  if (r.resume) {
    if (!exists) throw new UsageError(`--resume: ${out} holds no checkpoint to resume`);
    let saved: { file: { episode: number; backend: { name: string }; training: TrainingState } };
    try {
      saved = await readCheckpointFile<TrainingState>(out);
    } catch (e) {
      if (e instanceof CheckpointError) throw new BadPathError(`--resume: ${e.message}`);
      throw e;
    }
    const { file } = saved;
    const c = file.training.config;
    const clash = (flag: string, given: unknown, savedValue: unknown) => {
      if (given !== undefined && JSON.stringify(given) !== JSON.stringify(savedValue))
        throw new UsageError(
          `--resume continues the run saved in ${out}, whose ${flag} is ${JSON.stringify(savedValue)}; drop --${flag} or give the same value`,
        );
    };
    clash("preset", preset !== undefined ? `preset ${preset}` : undefined, c.scenarioName);
    clash("scenario", r.scenario, c.scenarioName);
    clash("seed", seed, c.seed);
    clash("rivals", rivals, c.rivals);
    clash("learners", learners, c.learners);
    clash("reward", reward, c.reward);
    clash("batch-episodes", batchEpisodes, c.batchEpisodes);
    if (file.episode >= episodes) {
      io.out(
        `${out} already holds ${file.episode} completed episodes (asked for ${episodes}); nothing to do\n`,
      );
      return EXIT_OK;
    }
    scenarioName = c.scenarioName;
    trainedOn = file.backend.name;
  } else {
    if (exists)
      throw new UsageError(
        `${out} already holds a training run; pass --resume to continue it, or choose another --out`,
      );
    scenarioName = r.scenario ?? `preset ${preset ?? "paper"}`;
  }

  let scenario: Scenario | null = null;
  if (!r.resume)
    scenario = r.scenario ? await readScenarioFile(r.scenario) : presetScenario(preset ?? "paper");
  const rivalSpec = rivals ?? "learned";
  if (!r.resume && rivalSpec !== "learned") {
    if (!learners)
      throw new UsageError(`--rivals ${rivalSpec} needs --learners: which tenants learn against it`);
    try {
      await resolveTenantPolicy(rivalSpec);
    } catch (e) {
      throw new UsageError(`--rivals: ${(e as Error).message}`);
    }
  }

  const backend = await initBackend(r.backendChoice ?? backendFromEnv(io));
  if (trainedOn !== null && trainedOn !== backend.name && !r["allow-backend-change"])
    throw new UsageError(
      `--resume: the run in ${out} trained on tfjs ${trainedOn}, and this one would continue on ${backend.name}; ` +
        `another backend computes in other rounding and changes the learning curve. Pass --backend ${trainedOn}, ` +
        "or --allow-backend-change to continue anyway",
    );
  io.err(`tfjs ${backend.tfjsVersion} backend: ${backend.name} (${backend.detail})\n`);
  let trainer: TrainerType;
  try {
    if (r.resume) {
      trainer = Trainer.restore(await loadCheckpoint<TrainingState>(out), backend);
      io.err(
        `resuming ${out} after episode ${trainer.episode}${trainedOn !== backend.name ? ` (trained on ${trainedOn} until now)` : ""}\n`,
      );
    } else {
      const names = Trainer.feasibleTenants(scenario!);
      trainer = Trainer.create(
        trainConfig({
          scenario: scenario!,
          scenarioName,
          seed: seed ?? 1,
          learners: learners ?? names,
          rivals: rivalSpec,
          reward: reward ?? "valuation",
          batchEpisodes: batchEpisodes ?? 1,
        }),
        backend,
      );
    }
  } catch (e) {
    if (e instanceof CheckpointError) throw new BadPathError(`--resume: ${e.message}`);
    throw new UsageError((e as Error).message);
  }
  const command = ["sfl-market", "train", ...r.args].join(" ");
  const progress = trainProgress(io, episodes, !(r.quiet ?? false));
  let interrupted = false;
  const stopListening = io.onInterrupt?.(() => {
    interrupted = true;
    progress.done();
    io.err(
      `\ninterrupted: stopping after the current episode (its checkpoint is kept); Ctrl-C again quits now\n`,
    );
  });
  try {
    const writeCurve = async () => {
      const csv = curveCsv(trainer.curve, { backend, config: trainer.config, command });
      const svg = curveSvg(
        trainer.curve,
        `Learning curve: ${trainer.config.scenarioName} (tfjs ${backend.name})`,
      );
      for (const [file, text] of [
        [join(out, "curve.csv"), csv],
        [join(out, "curve.svg"), svg],
      ] as const) {
        const problem = await writeChecked(file, { flag: "--out", overwrite: true }, text, io.out);
        if (problem) throw new Error(problem);
      }
    };
    if (r.resume) await writeCurve();
    while (trainer.episode < episodes && !interrupted) {
      const report = await trainer.runEpisode();
      await saveCheckpoint(out, trainer.checkpoint());
      await writeCurve();
      progress.episode(trainer.episode, report.rows);
    }
    progress.done();
  } catch (e) {
    progress.done();
    io.err(
      `error: ${(e as NodeJS.ErrnoException)?.code ? fsProblem(out, e, "write the checkpoint in") : (e as Error).message}\n` +
        `${out} keeps the checkpoint after episode ${trainer.episode - 1}.\n`,
    );
    trainer.dispose();
    return EXIT_FAILURE;
  } finally {
    stopListening?.();
  }
  io.out(summary(trainer.curve, trainer.config.learners, backend.name, out, trainer.config.scenarioName));
  trainer.dispose();
  if (interrupted) {
    io.err(`stopped after episode ${trainer.episode} of ${episodes}; continue with --resume\n`);
    return EXIT_INTERRUPTED;
  }
  return EXIT_OK;
}

/** SFL_TFJS_BACKEND from the command's environment (io.env, so tests need not touch process.env). */
function backendFromEnv(io: Io): (typeof BACKENDS)[number] | undefined {
  const v = io.env.SFL_TFJS_BACKEND;
  return v && (BACKENDS as readonly string[]).includes(v) ? (v as (typeof BACKENDS)[number]) : undefined;
}

type Row = CurveRow;

/** Per learner, over the last (up to) 20 episodes: targets met, median time, mean return and action. */
function summary(
  curve: readonly Row[],
  learners: readonly string[],
  backend: string,
  out: string,
  scenarioName: string,
): string {
  const last = curve.length ? curve[curve.length - 1].episode : -1;
  const from = Math.max(0, last - 19);
  const lines = [
    `trained ${last + 1} episodes on tfjs ${backend}; last ${last - from + 1} episodes per learning tenant:`,
  ];
  const width = Math.max(6, ...learners.map((l) => l.length));
  lines.push(`${"tenant".padEnd(width)}  met     median time  mean return  mean action (log s, a, b)`);
  for (const name of learners) {
    const rows = curve.filter((r) => r.tenant === name && r.episode >= from);
    const met = rows.filter((r) => r.met);
    const times = met.map((r) => r.timeToTarget!).sort((a, b) => a - b);
    const median = times.length
      ? times.length % 2
        ? times[times.length >> 1]
        : (times[times.length / 2 - 1] + times[times.length / 2]) / 2
      : null;
    const mean = (f: (r: Row) => number) => rows.reduce((s, r) => s + f(r), 0) / Math.max(1, rows.length);
    const act = [0, 1, 2].map((k) => mean((r) => r.meanAction[k]).toFixed(2)).join(", ");
    lines.push(
      `${name.padEnd(width)}  ${`${met.length}/${rows.length}`.padEnd(6)}  ${(median === null ? "-" : `${Math.round(median)} s`).padStart(11)}  ${mean(
        (r) => r.return,
      )
        .toFixed(3)
        .padStart(11)}  ${act}`,
    );
  }
  // the scenario it trained on ("preset NAME" or the file as given), so the line works as printed
  const scenario = scenarioName.startsWith("preset ")
    ? ["--preset", scenarioName.slice("preset ".length)]
    : ["--scenario", scenarioName];
  const evaluate = shellLine(["sfl-market", "compare", ...scenario, "--policies", `prince,learned:${out}`]);
  lines.push(`checkpoint, curve.csv and curve.svg in ${out}; evaluate: ${evaluate}`);
  return `${lines.join("\n")}\n`;
}

/** Progress on stderr: one redrawn bar on a terminal, one line per episode elsewhere. */
function trainProgress(io: Io, total: number, show: boolean) {
  const tty = io.errIsTTY === true;
  const bar = (done: number) => {
    const width = 24;
    const full = Math.round((width * done) / total);
    return `[${"#".repeat(full)}${".".repeat(width - full)}]`;
  };
  return {
    episode(done: number, rows: readonly Row[]) {
      if (!show) return;
      const met = rows.filter((r) => r.met).length;
      const ret = rows.reduce((s, r) => s + r.return, 0) / Math.max(1, rows.length);
      const line = `episode ${done}/${total}: ${met}/${rows.length} targets met, mean return ${ret.toFixed(3)}`;
      io.err(tty ? `\r\x1b[2K${bar(done)} ${line}` : `${line}\n`);
    },
    done() {
      if (show && tty) io.err("\n");
    },
  };
}
