// Regression tests (issue 11) for `sfl-market train`'s run directory: a lock against a second run,
// a verified checkpoint on --resume, the backend kept unless asked, Ctrl-C, and a killed run's
// leftovers. In-process through main (cli/testCli.ts), on the CPU backend.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireRunLock } from "../io/runLock.ts";
import { cli, expectNoStack } from "./testCli.ts";

const CPU = { SFL_TFJS_BACKEND: "cpu" };
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "sfl-train-rel-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `run-${n++}`);
const train = (out: string, episodes: number, ...extra: string[]) =>
  cli(
    [
      "train",
      "--preset",
      "tiny",
      "--episodes",
      String(episodes),
      "--out",
      out,
      "--seed",
      "3",
      "--quiet",
      ...extra,
    ],
    CPU,
  );

describe("train's run directory", () => {
  it("a second run into a locked directory stops at once, naming the owner; a dead owner's lock is taken over", async () => {
    const out = fresh();
    const lock = await acquireRunLock(out);
    const r = await train(out, 1);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${out} is in use by another sfl-market train (process ${process.pid}`);
    expect(r.stderr).toContain("wait for it to finish, or choose another --out");
    expectNoStack(r);
    expect(readdirSync(out)).toEqual([".lock"]); // nothing of the second run
    await lock.release();
    // a lock left by a killed run: its process (above the kernel's pid_max) is gone
    writeFileSync(join(out, ".lock"), JSON.stringify({ pid: 4194999, host: hostname(), since: "then" }));
    const ok = await train(out, 1);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(join(out, ".lock"))).toBe(false); // released at the end
  });

  it("--resume verifies the checkpoint and names a damaged file; a killed run's temporary files are removed", async () => {
    const out = fresh();
    expect((await train(out, 1)).code).toBe(0);
    // leftovers of a run killed mid-write (a dead process's temporary names)
    writeFileSync(join(out, ".curve.csv.4194999.0123456789ab.tmp"), "half");
    mkdirSync(join(out, "checkpoints", ".ep-000002.4194999.aaaaaaaaaaaa.tmp"));
    const w = join(out, "checkpoints", "ep-000001", "learner-0", "weights.bin");
    const good = readFileSync(w);
    const bad = Buffer.from(good);
    bad[9] ^= 0xff;
    writeFileSync(w, bad);
    const r = await train(out, 2, "--resume");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--resume: ${w} is corrupt: its checksum does not match`);
    expectNoStack(r);
    writeFileSync(w, good);
    const again = await train(out, 2, "--resume");
    expect(again.code, again.stderr).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(readdirSync(join(out, "checkpoints"))).toEqual(["ep-000002"]);
  });

  it("--resume on another backend than the run's is refused unless --allow-backend-change", async () => {
    const out = fresh();
    expect((await train(out, 1)).code).toBe(0);
    const r = await train(out, 2, "--resume", "--backend", "wasm");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the run in ${out} trained on tfjs cpu, and this one would continue on wasm`);
    expect(r.stderr).toContain("Pass --backend cpu, or --allow-backend-change");
    const allowed = await train(out, 2, "--resume", "--backend", "wasm", "--allow-backend-change");
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain(`resuming ${out} after episode 1 (trained on cpu until now)`);
  });

  it("Ctrl-C stops after the current episode and keeps its checkpoint (exit 130); --resume goes on", async () => {
    const out = fresh();
    let interrupt: (() => void) | undefined;
    const r = await cli(["train", "--preset", "tiny", "--episodes", "4", "--out", out, "--seed", "3"], CPU, {
      onInterruptible: (f) => {
        interrupt = f;
      },
      onErr: (t) => {
        if (t.startsWith("episode 1/4")) interrupt?.();
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("stopped after episode 1 of 4; continue with --resume");
    expect(JSON.parse(readFileSync(join(out, "checkpoint.json"), "utf8")).episode).toBe(1);
    expect(existsSync(join(out, ".lock"))).toBe(false);
    expect((await train(out, 2, "--resume")).code).toBe(0);
  });

  it("an --out that is a file: exit 2 before anything", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "x");
    const r = await train(file, 1);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${file} is a file, not a directory`);
  });
});
