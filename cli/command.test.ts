import { describe, expect, it } from "vitest";
import { processIo } from "./command.ts";

describe("processIo.onInterrupt", () => {
  it("a SIGINT calls the listener instead of ending the process; after unlistening, it would end it", async () => {
    const before = process.listenerCount("SIGINT");
    const beforeTerm = process.listenerCount("SIGTERM");
    let calls = 0;
    const stop = processIo.onInterrupt!(() => {
      calls++;
    });
    expect(process.listenerCount("SIGINT")).toBe(before + 1);
    process.kill(process.pid, "SIGINT");
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
    stop();
    expect(process.listenerCount("SIGINT")).toBe(before);
    expect(process.listenerCount("SIGTERM")).toBe(beforeTerm);
  });
});
