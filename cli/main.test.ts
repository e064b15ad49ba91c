import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../market/errors.ts";
import { type Command, type Io, UsageError } from "./command.ts";
import { type CommandEntry, commands } from "./commands/index.ts";
import { main } from "./main.ts";

/** An Io that records what a run writes. */
function capture(env: Record<string, string> = {}) {
  const io = { stdout: "", stderr: "" };
  const sink: Io = {
    out: (t) => {
      io.stdout += t;
    },
    err: (t) => {
      io.stderr += t;
    },
    env,
  };
  return { io, sink };
}

function fake(run: Command["run"]): Command {
  return { name: "fake", summary: "a command for tests", usage: "Usage: sfl-market fake [--x]", run };
}

async function runWith(argv: string[], command: Command, env: Record<string, string> = {}) {
  const { io, sink } = capture(env);
  const code = await main(argv, sink, [command]);
  return { code, ...io };
}

describe("main: dispatch", () => {
  it("lists every registered command with its summary", async () => {
    for (const argv of [["--help"], ["-h"], ["help"]]) {
      const { io, sink } = capture();
      expect(await main(argv, sink)).toBe(0);
      for (const c of commands) expect(io.stdout).toContain(`  ${c.name}`);
      for (const c of commands) expect(io.stdout).toContain(c.summary);
      expect(io.stderr).toBe("");
    }
  });

  it("registers solve and start, each loading a command of its name and summary, with a usage line", async () => {
    expect(commands.map((c) => c.name)).toEqual(expect.arrayContaining(["solve", "start"]));
    expect(new Set(commands.map((c) => c.name)).size).toBe(commands.length);
    for (const entry of commands) {
      const c = await entry.load();
      expect({ name: c.name, summary: c.summary }).toEqual({ name: entry.name, summary: entry.summary });
      expect(c.usage).toMatch(new RegExp(`^Usage: sfl-market ${c.name}`));
    }
  });

  it("loads only the command that runs, and none for the overview", async () => {
    const loaded: string[] = [];
    const entry = (name: string): CommandEntry => ({
      name,
      summary: `the ${name} command`,
      load: async () => {
        loaded.push(name);
        return { ...fake(async () => 0), name, usage: `Usage: sfl-market ${name}` };
      },
    });
    const registry = [entry("one"), entry("two")];
    const { sink } = capture();
    expect(await main(["--help"], sink, registry)).toBe(0);
    expect(loaded).toEqual([]);
    expect(await main(["two", "x"], sink, registry)).toBe(0);
    expect(await main(["help", "one"], sink, registry)).toBe(0);
    expect(loaded).toEqual(["two", "one"]);
  });

  it("a command whose module fails to load exits 1 with the message", async () => {
    const broken: CommandEntry = {
      name: "broken",
      summary: "fails to import",
      load: async () => {
        throw new Error("Cannot find module 'gone'");
      },
    };
    const { io, sink } = capture();
    expect(await main(["broken"], sink, [broken])).toBe(1);
    expect(io.stderr.split("\n")[0]).toBe("sfl-market broken: Cannot find module 'gone'");
  });

  it("help COMMAND and COMMAND --help print that command's usage without running it", async () => {
    let ran = false;
    const cmd = fake(async () => {
      ran = true;
      return 0;
    });
    for (const argv of [
      ["help", "fake"],
      ["fake", "--help"],
      ["fake", "a", "-h"],
    ]) {
      const r = await runWith(argv, cmd);
      expect(r).toMatchObject({ code: 0, stdout: `${cmd.usage}\n`, stderr: "" });
    }
    expect(ran).toBe(false);
    // after `--`, --help is an argument for the command
    expect((await runWith(["fake", "--", "--help"], cmd)).code).toBe(0);
    expect(ran).toBe(true);
  });

  it("an unknown command or no command is a usage error (exit 2)", async () => {
    for (const argv of [["frob"], [], ["help", "frob"]]) {
      const { io, sink } = capture();
      expect(await main(argv, sink)).toBe(2);
      expect(io.stdout).toBe("");
      expect(io.stderr).toContain("Commands:");
      expect(io.stderr).not.toContain("did you mean");
    }
  });

  it("an unknown command close to a known one gets a 'did you mean'", async () => {
    for (const [typo, meant] of [
      ["solv", "'solve'"],
      ["comapre", "'compare'"],
      ["envserver", "'env-server'"],
      ["hepl", "'help'"],
    ]) {
      const { io, sink } = capture();
      expect(await main([typo], sink)).toBe(2);
      expect(io.stderr.split("\n")[0]).toBe(`sfl-market: unknown command '${typo}'; did you mean ${meant}?`);
    }
    const { io, sink } = capture();
    expect(await main(["help", "tain"], sink)).toBe(2);
    expect(io.stderr.split("\n")[0]).toBe("sfl-market help: unknown command 'tain'; did you mean 'train'?");
  });

  it("--version prints package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    const { io, sink } = capture();
    expect(await main(["--version"], sink)).toBe(0);
    expect(io.stdout).toBe(`${pkg.version}\n`);
  });

  it("passes the arguments after the command name and returns the command's exit code", async () => {
    let seen: readonly string[] = [];
    const r = await runWith(
      ["fake", "x", "--y"],
      fake(async (args, io) => {
        seen = args;
        io.out("done\n");
        return 1;
      }),
    );
    expect(seen).toEqual(["x", "--y"]);
    expect(r).toMatchObject({ code: 1, stdout: "done\n" });
  });
});

describe("main: errors become exit codes", () => {
  it("a UsageError exits 2 with one line and the command's usage", async () => {
    const r = await runWith(
      ["fake"],
      fake(async () => {
        throw new UsageError("--x must be > 0");
      }),
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("sfl-market fake: --x must be > 0\n\nUsage: sfl-market fake [--x]\n");
  });

  it("an InputError exits 2 with every issue as a `path: message` line", async () => {
    const issues = [
      { path: "budget[0]", message: "must be > 0" },
      { path: "cost[1][2]", message: "must be a finite number" },
    ];
    const r = await runWith(
      ["fake"],
      fake(async () => {
        throw new InputError(issues, "market");
      }),
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("sfl-market fake: invalid market:");
    expect(lines.slice(1).map((l) => l.trim())).toEqual([
      "budget[0]: must be > 0",
      "cost[1][2]: must be a finite number",
    ]);
  });

  it("any other error exits 1 with its message, and the stack only when SFL_DEBUG=1", async () => {
    const boom = fake(async () => {
      throw new Error("boom");
    });
    const quiet = await runWith(["fake"], boom);
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).toBe("");
    expect(quiet.stderr.split("\n")[0]).toBe("sfl-market fake: boom");
    expect(quiet.stderr).not.toContain("    at ");

    const loud = await runWith(["fake"], boom, { SFL_DEBUG: "1" });
    expect(loud.code).toBe(1);
    expect(loud.stderr).toContain("Error: boom\n    at ");

    const thrownValue = await runWith(
      ["fake"],
      fake(async () => {
        throw "plain string";
      }),
    );
    expect(thrownValue.code).toBe(1);
    expect(thrownValue.stderr.split("\n")[0]).toBe("sfl-market fake: plain string");
  });
});
