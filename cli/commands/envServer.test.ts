// End-to-end tests of `sfl-market env-server`: in-process through main(argv, io) with the requests
// as the input stream, and one spawned-binary test (the real stdin/stdout and the exit).
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it, onTestFinished } from "vitest";
import type { Io } from "../command.ts";
import { decodeLine } from "../envServer/wire.ts";
import { main } from "../main.ts";
import { BIN, ROOT } from "../testCli.ts";
import { envServerCommand } from "./envServer.ts";

// biome-ignore lint/suspicious/noExplicitAny: decoded JSON replies, read field by field by the assertions
type Json = Record<string, any>;

async function serveLines(args: readonly string[], lines: readonly string[]) {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    env: {},
  };
  const command = envServerCommand(() => Readable.from(lines.map((l) => `${l}\n`)));
  const code = await main(["env-server", ...args], io, [command]);
  const replies = stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => decodeLine(l) as Json);
  return { code, replies, stderr };
}

const HELLO = '{"op":"hello","protocol":1}';

describe("sfl-market env-server (in-process)", () => {
  it("answers one reply line per request, in order, survives bad requests and stops at close", async () => {
    const r = await serveLines(
      ["--stdio", "--preset", "tiny", "--options", '{"tenants":["vit"]}'],
      [HELLO, '{"id":1,"op":"reset","seed":1}', "", "not json", '{"op":"spaces"}', '{"op":"close"}', HELLO],
    );
    expect(r.code).toBe(0);
    expect(r.replies.map((x) => x.ok)).toEqual([true, true, false, true, true]);
    expect(r.replies[0]).toMatchObject({ possibleAgents: ["vit"], rivals: { policy: "prince" } });
    expect(r.replies[1]).toMatchObject({ id: 1, agents: ["vit"] });
    expect(r.replies[2].error.code).toBe("BAD_JSON");
    expect(r.replies[3].possibleAgents).toEqual(["vit"]);
    expect(r.stderr).toBe("");
  });

  it("ends with exit 0 at the end of its input, without a close", async () => {
    const r = await serveLines(["--stdio"], [HELLO]);
    expect(r.code).toBe(0);
    expect(r.replies).toHaveLength(1);
  });

  it("bad usage, options or scenario: exit 2 with the field named, nothing on stdout", async () => {
    const cases: [string[], RegExp][] = [
      [[], /give --stdio/],
      [["--stdio", "--preset", "huge"], /--preset must be one of paper, tiny, stress/],
      [["--stdio", "--options", "{"], /--options is not JSON/],
      [["--stdio", "--options", '{"tenant":["vit"]}'], /tenant: unknown option; known: tenants/],
      [
        ["--stdio", "--options", '{"tenants":["gpt"]}'],
        /tenants\[0\]: no tenant "gpt"; tenants: vit, bert, whisper/,
      ],
      [
        ["--stdio", "--options", '{"deviceAgents":[99]}'],
        /deviceAgents\[0\]: device 99 does not exist \(N = 20\)/,
      ],
      [["--stdio", "--options", '{"maxTime":-1,"info":"all"}'], /maxTime: must be .*\n.*info: must be/],
      [
        ["--stdio", "--options", '{"tenants":["vit"],"rivals":"princes"}'],
        /rivals: unknown tenant pricing policy "princes"; did you mean "prince"/,
      ],
      [["--stdio", "--scenario", "/nonexistent/s.json"], /\/nonexistent\/s\.json/],
    ];
    for (const [args, message] of cases) {
      const r = await serveLines(args, [HELLO]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.replies).toEqual([]);
    }
  });

  it("--scenario FILE and --seed S: the population of that seed (a different handshake than the preset's)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sfl-env-server-"));
    try {
      const { presetInput } = await import("../../env/presets.ts");
      const file = join(dir, "s.json");
      await writeFile(file, JSON.stringify(presetInput("tiny")));
      const fromFile = await serveLines(["--stdio", "--scenario", file], [HELLO]);
      const preset = await serveLines(["--stdio"], [HELLO]);
      const reseeded = await serveLines(["--stdio", "--seed", "8"], [HELLO]);
      expect(fromFile.replies[0].spaces).toEqual(preset.replies[0].spaces);
      expect(fromFile.replies[0].scenario).toBe(file);
      // the price cap follows the drawn device costs
      expect(reseeded.replies[0].spaces.vit.action.high).not.toEqual(
        preset.replies[0].spaces.vit.action.high,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("sfl-market env-server (the binary)", () => {
  it("serves on its real stdin and stdout, keeps stdout for replies, and exits 0 after close", async () => {
    // the rivals' policy a user module, which runs in a worker thread: close must end that too
    const options = JSON.stringify({ tenants: ["vit"], rivals: "./examples/my-pricing.ts" });
    const child = spawn(
      process.execPath,
      [BIN, "env-server", "--stdio", "--preset", "tiny", "--options", options],
      {
        cwd: ROOT,
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    // a server that does not exit is ended with the test, whatever its outcome
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const prices = JSON.stringify(new Array(20).fill(1));
    child.stdin.write(`${HELLO}\n{"op":"reset","seed":1}\n{"op":"step","actions":{"vit":[1]}}\n`);
    child.stdin.write(`{"op":"step","actions":{"vit":${prices}}}\n`);
    child.stdin.write('{"op":"close"}\n');
    // stdin stays open: close alone must end the server
    expect(await exited).toBe(0);
    child.stdin.destroy();
    const replies = out
      .trim()
      .split("\n")
      .map((l) => decodeLine(l) as Json);
    expect(replies.map((r) => r.ok)).toEqual([true, true, false, true, true]);
    expect(replies[0].rivals).toEqual({ policy: "./examples/my-pricing.ts", tenants: ["bert", "whisper"] });
    expect(replies[2].error).toMatchObject({ code: "BAD_ACTION", path: "actions.vit" });
    expect(replies[3].rewards.vit).toBeGreaterThanOrEqual(0);
    expect(err).toBe("");
  });
});
