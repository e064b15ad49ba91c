// Regression test (issue 11, "SIGINT discards the completed runs"): a real SIGINT, delivered by the
// operating system, not a call of the interrupt handler. With built-in policies every answer is a
// resolved promise, so a comparison never gave the event loop a turn and the signal was handled
// only after the last run: Ctrl-C did nothing, and compare ended with exit 0. (The tests in
// compareOutputs.test.ts call the handler directly and could not see it.) In-process through main,
// with the process's own signal listeners (processIo.onInterrupt).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Io, processIo } from "./command.ts";
import { main } from "./main.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sfl-real-signal-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a real SIGINT", () => {
  it("stops compare after the run in progress: completed runs written, complete: false, exit 130", async () => {
    const json = join(dir, "out.json");
    let stderr = "";
    let sent = false;
    const io: Io = {
      out: () => undefined,
      err: (t) => {
        stderr += t;
        if (!sent && t.startsWith("run 1/")) {
          sent = true;
          process.kill(process.pid, "SIGINT");
        }
      },
      env: { ...process.env },
      errIsTTY: false,
      onInterrupt: processIo.onInterrupt,
    };
    const code = await main(
      ["compare", "--preset", "tiny", "--seeds", "4", "--policies", "prince,uniform", "--json", json],
      io,
    );
    expect(code, stderr).toBe(130);
    expect(stderr).toContain("interrupted: stopping the current run");
    const out = JSON.parse(readFileSync(json, "utf8"));
    expect(out.complete).toBe(false);
    expect(out.failure).toMatchObject({ interrupted: true });
    // run 1 completed; the signal stops the comparison long before its 8th and last run
    expect(out.results.length).toBeGreaterThanOrEqual(3);
    expect(out.results.length).toBeLessThan(8 * 3);
    expect(process.listenerCount("SIGINT")).toBe(0); // the command stopped listening
  }, 60_000);
});
