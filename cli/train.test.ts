import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "./command.ts";
import { main } from "./main.ts";
import { BIN, cli, expectNoStack, ROOT } from "./testCli.ts";

// End-to-end: the real `sfl-market train` in child processes, on the CPU backend (deterministic).
const CPU = { SFL_TFJS_BACKEND: "cpu" };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sfl-train-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const trainArgs = (out: string, episodes = 6) => [
  "train",
  "--preset",
  "tiny",
  "--episodes",
  String(episodes),
  "--out",
  out,
  "--seed",
  "2",
];

/** The curve's data rows (the `#` lines name the command, which differs by --out). */
const rows = async (out: string) =>
  (await readFile(join(out, "curve.csv"), "utf8")).split("\n").filter((l) => l !== "" && !l.startsWith("#"));

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

describe("sfl-market train", () => {
  it("resumes a run killed mid-episode with no completed episode lost or repeated", async () => {
    const whole = join(dir, "whole");
    const killed = join(dir, "killed");
    // the uninterrupted run, and one killed with SIGKILL once its first checkpoint exists
    const uninterrupted = cli(trainArgs(whole), CPU);
    const child = spawn(process.execPath, [BIN, ...trainArgs(killed)], {
      cwd: ROOT,
      env: { ...process.env, ...CPU },
      stdio: "ignore",
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_, signal) => resolve(signal)),
    );
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    while (!gone && !(await exists(join(killed, "checkpoint.json"))))
      await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const pointer = JSON.parse(await readFile(join(killed, "checkpoint.json"), "utf8"));
    expect(pointer.episode).toBeGreaterThanOrEqual(1);
    expect(pointer.episode).toBeLessThan(6);

    const resumed = await cli([...trainArgs(killed), "--resume"], CPU);
    expectNoStack(resumed);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`resuming ${killed} after episode ${pointer.episode}`);
    const full = await uninterrupted;
    expect(full.code).toBe(0);
    expect(full.stderr).toContain("backend: cpu");
    expect(full.stdout).toContain("trained 6 episodes on tfjs cpu");
    const expected = await rows(whole);
    expect(expected).toHaveLength(1 + 6 * 3); // header + 6 episodes x 3 learning tenants
    expect(await rows(killed)).toEqual(expected);
    expect(await readFile(join(killed, "curve.svg"), "utf8")).toBe(
      await readFile(join(whole, "curve.svg"), "utf8"),
    );
    const csv = await readFile(join(whole, "curve.csv"), "utf8");
    expect(csv).toMatch(/^# backend: tfjs [\d.]+ cpu /m);
    const model = JSON.parse(
      await readFile(join(whole, "checkpoints", "ep-000006", "learner-0", "model.json"), "utf8"),
    );
    expect(model.userDefinedMetadata.backend).toBe("cpu");

    // a finished run is not overwritten, and --resume checks the settings it is given
    const again = await cli(trainArgs(whole), CPU);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already holds a training run; pass --resume");
    const clash = await cli([...trainArgs(whole), "--resume", "--seed", "3"], CPU);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain("whose seed is 2");

    // compare evaluates the trained policy on its own seeds, and names the backend in its notes: the
    // command train printed, read by a shell as a user pasting it would (one seed, to stay fast)
    const printed = /evaluate: (.*)$/m.exec(full.stdout)![1];
    const words = execFileSync("sh", ["-c", `printf '%s\\0' ${printed}`], { encoding: "utf8" }).split("\0");
    expect(words.slice(0, 4)).toEqual(["sfl-market", "compare", "--preset", "tiny"]);
    const cmp = await cli([...words.slice(1, -1), "--seeds", "1", "--quiet"], CPU);
    expectNoStack(cmp);
    expect(cmp.code).toBe(0);
    expect(cmp.stdout).toContain(`learned:${whole}`);
    expect(cmp.stdout).toMatch(/note: .*BACKEND: learned policy .*evaluated on tfjs cpu/);
  });

  it("reports usage errors with exit 2, naming the problem", async () => {
    const run = async (...args: string[]) => {
      const io = { stdout: "", stderr: "" };
      const sink: Io = {
        out: (t) => {
          io.stdout += t;
        },
        err: (t) => {
          io.stderr += t;
        },
        env: {},
      };
      const code = await main(["train", ...args], sink);
      return { code, ...io };
    };
    const noOut = await run("--preset", "tiny", "--episodes", "2");
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain("--out DIR is required");
    expect(noOut.stdout).toBe("");
    const noEpisodes = await run("--out", join(dir, "x"));
    expect(noEpisodes.stderr).toContain("--episodes N is required");
    const rivals = await run(
      "--preset",
      "tiny",
      "--episodes",
      "1",
      "--out",
      join(dir, "y"),
      "--rivals",
      "prince",
    );
    expect(rivals.code).toBe(2);
    expect(rivals.stderr).toContain("needs --learners");
    const unknown = await run(
      "--preset",
      "tiny",
      "--episodes",
      "1",
      "--out",
      join(dir, "y"),
      "--rivals",
      "princ",
      "--learners",
      "vit",
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean "prince"');
    const resume = await run("--episodes", "1", "--out", join(dir, "z"), "--resume");
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain("holds no checkpoint");
    const backend = await run("--episodes", "1", "--out", join(dir, "z"), "--backend", "gpu");
    expect(backend.code).toBe(2);
    expect(backend.stderr).toContain("--backend must be one of auto, tensorflow, wasm, cpu");
  });
});
