import type { Command } from "../command.ts";
import { boundCheckCommand } from "./boundCheck.ts";
import { check } from "./check.ts";
import { compare } from "./compare.ts";
import { envServer } from "./envServer.ts";
import { scenario } from "./scenario.ts";
import { solve } from "./solve.ts";
import { start } from "./start.ts";
import { sweep } from "./sweep.ts";
import { train } from "./train.ts";

/** Every subcommand of `sfl-market`, in the order `sfl-market help` lists them. Add one line per command. */
export const commands: readonly Command[] = [
  start,
  compare,
  solve,
  scenario,
  check,
  train,
  envServer,
  sweep,
  boundCheckCommand,
];
