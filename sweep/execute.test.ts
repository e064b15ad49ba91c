import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runTask } from "../experiments/runTask.ts";
import { collectRuns } from "./collect.ts";
import { executeRuns, selectRows } from "./execute.ts";
import { sweepStatus } from "./status.ts";
import { plannedTinySweep } from "./testSweep.ts";

/** Four runs: two budget scales x two seeds. */
const AXES = { budget: { scale: [1, 2] } };
/** Runs take ~0.3 s each on a quiet machine, many times that on a loaded one. */
const SLOW = 300_000;

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("selecting an array task's runs", () => {
  it("index with chunk and offset, shards by stride, an index past the end is an error", () => {
    expect(selectRows(10, { kind: "index", index: 0, chunk: 1, offset: 0 })).toEqual([0]);
    expect(selectRows(10, { kind: "index", index: 1, chunk: 4, offset: 0 })).toEqual([4, 5, 6, 7]);
    expect(selectRows(10, { kind: "index", index: 2, chunk: 4, offset: 0 })).toEqual([8, 9]);
    expect(selectRows(10, { kind: "index", index: 1, chunk: 2, offset: 5 })).toEqual([7, 8]);
    expect(selectRows(10, { kind: "shard", k: 1, n: 3 })).toEqual([1, 4, 7]);
    expect(selectRows(10, { kind: "index", index: 3, chunk: 4, offset: 0 })).toMatch(
      /starts at run 12, past the last run \(9\)/,
    );
    // the chunks of every index, and the shards, each cover every run exactly once
    const chunks = [0, 1, 2].flatMap(
      (i) => selectRows(10, { kind: "index", index: i, chunk: 4, offset: 0 }) as number[],
    );
    expect(chunks).toEqual(all(10));
    const shards = [0, 1, 2].flatMap((k) => selectRows(10, { kind: "shard", k, n: 3 }) as number[]);
    expect(shards.sort((a, b) => a - b)).toEqual(all(10));
  });
});

describe("running a sweep", () => {
  it(
    "killed mid-run and run again: the same results.jsonl bytes as one uninterrupted run, in any order",
    async () => {
      const straight = await plannedTinySweep(AXES);
      const n = straight.rows.length;
      const first = await executeRuns(straight, all(n), { run: runTask });
      expect(first).toMatchObject({ selected: n, ran: n, skipped: 0, failed: [], interrupted: false });
      const reference = await collectRuns(straight);
      expect(reference.missing).toEqual([]);
      expect(reference.text.trim().split("\n")).toHaveLength(n);

      const killed = await plannedTinySweep(AXES);
      const stop = new AbortController();
      let started = 0;
      const partial = await executeRuns(killed, all(n), {
        signal: stop.signal,
        run: (task, signal) => {
          const p = runTask(task, signal);
          if (++started === 2) stop.abort(); // the second run is cancelled while it runs
          return p;
        },
      });
      expect(partial).toMatchObject({ ran: 1, interrupted: true, failed: [] });
      expect(await sweepStatus(killed)).toEqual({ runs: n, done: 1, running: 0, failed: 0, missing: n - 1 });
      // a writer killed mid-write leaves a temporary file: the next run removes it
      writeFileSync(
        join(killed.dir, "runs", `.${killed.rows[2].runId}.json.999999999.0123456789ab.tmp`),
        "{",
      );
      const resumed = await executeRuns(killed, all(n), { run: runTask });
      expect(resumed).toMatchObject({ ran: n - 1, skipped: 1, interrupted: false });
      expect((await collectRuns(killed)).text).toBe(reference.text);
      expect(readdirSync(join(killed.dir, "runs")).filter((f) => f.startsWith("."))).toEqual([]);

      // again: nothing left to do
      expect(await executeRuns(killed, all(n), { run: runTask })).toMatchObject({ ran: 0, skipped: n });

      const reversed = await plannedTinySweep(AXES);
      await executeRuns(reversed, all(n).reverse(), { run: runTask, concurrency: 2 });
      expect((await collectRuns(reversed)).text).toBe(reference.text);
    },
    SLOW,
  );

  it(
    "a run's file holds its row, the policies and every tenant's outcome under each policy",
    async () => {
      const s = await plannedTinySweep({ tau: [2] }, 1);
      await executeRuns(s, [0], { run: runTask });
      const rec = JSON.parse(readFileSync(join(s.dir, "runs", `${s.rows[0].runId}.json`), "utf8"));
      expect(rec).toMatchObject({
        runId: s.rows[0].runId,
        configHash: s.rows[0].configHash,
        seed: 1,
        params: { tau: 2 },
      });
      expect(rec.policies).toEqual(["prince", "uniform"]);
      expect(rec.outcomes.map((o: { policy: string; tenant: string }) => `${o.policy}/${o.tenant}`)).toEqual([
        "prince/vit",
        "prince/bert",
        "prince/whisper",
        "uniform/vit",
        "uniform/bert",
        "uniform/whisper",
      ]);
    },
    SLOW,
  );

  it(
    "a failing policy is reported by name, its run kept out of runs/ and retried next time",
    async () => {
      const s = await plannedTinySweep({ tau: [2, 3] }, 1);
      const summary = await executeRuns(s, [0, 1], {
        run: async (task, signal) =>
          task.scenario.tau === 3
            ? { ok: false, policy: "uniform", message: "boom", cancelled: false }
            : runTask(task, signal),
      });
      expect(summary.failed).toEqual([{ runId: s.rows[1].runId, policy: "uniform", message: "boom" }]);
      expect(await sweepStatus(s)).toMatchObject({ done: 1, failed: 1, missing: 0 });
      await executeRuns(s, [0, 1], { run: runTask });
      expect(await sweepStatus(s)).toMatchObject({ done: 2, failed: 0, missing: 0 });
    },
    SLOW,
  );
});
