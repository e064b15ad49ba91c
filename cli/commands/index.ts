import type { Command } from "../command.ts";

/**
 * A subcommand as the dispatcher knows it before loading it: its name and summary (for
 * `sfl-market help`), and how to import its module. Only the command that runs (or whose usage is
 * asked for) is imported, so `sfl-market solve` never loads what `compare` or `train` need
 * (TensorFlow.js, rxjs, fast-check): start-up costs that command's modules and nothing else.
 */
export interface CommandEntry {
  /** The word after `sfl-market`; the loaded command has the same name. */
  readonly name: string;
  /** The loaded command's summary, repeated here (cli/main.test.ts checks they agree). */
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

/** What the dispatcher accepts: an entry to load, or a command already loaded (tests pass these). */
export type Registered = CommandEntry | Command;

export function loadCommand(r: Registered): Promise<Command> {
  return "load" in r ? r.load() : Promise.resolve(r);
}

/** Every subcommand of `sfl-market`, in the order `sfl-market help` lists them. Add one entry per command. */
export const commands: readonly CommandEntry[] = [
  {
    name: "start",
    summary: "the main job (what `npm start` runs): PRINCE vs every baseline on the paper preset",
    load: async () => (await import("./start.ts")).start,
  },
  {
    name: "compare",
    summary: "compare PRINCE with the baselines on a scenario: table, JSON and an HTML report",
    load: async () => (await import("./compare.ts")).compare,
  },
  {
    name: "solve",
    summary: "compute the Stackelberg equilibrium of a market given as JSON",
    load: async () => (await import("./solve.ts")).solve,
  },
  {
    name: "scenario",
    summary: "write a preset scenario file to edit, or validate and summarise a scenario file",
    load: async () => (await import("./scenario.ts")).scenario,
  },
  {
    name: "check",
    summary: "run the property and conformance checks on a policy (yours, by path, or a built-in)",
    load: async () => (await import("./check.ts")).check,
  },
  {
    name: "train",
    summary: "train learned (PPO, TensorFlow.js) tenant pricing policies; checkpoints and a learning curve",
    load: async () => (await import("./train.ts")).train,
  },
  {
    name: "env-server",
    summary: "serve the PettingZoo-style environment over JSON lines (for the Python package)",
    load: async () => (await import("./envServer.ts")).envServer,
  },
  {
    name: "sweep",
    summary: "sensitivity sweeps: plan, run (locally, Slurm arrays, Kubernetes), collect",
    load: async () => (await import("./sweep.ts")).sweep,
  },
  {
    name: "bound-check",
    summary: "test whether V_i orders the measured rounds to target (the bound's predictive power)",
    load: async () => (await import("./boundCheck.ts")).boundCheckCommand,
  },
];
