import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { presetInput } from "./presets.ts";
import { jsonErrorOffset, loadScenarioFile, parseScenarioText } from "./scenarioFile.ts";

const dir = mkdtempSync(join(tmpdir(), "sfl-scenario-"));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("loadScenarioFile", () => {
  it("loads a JSON preset written to disk", async () => {
    const r = await loadScenarioFile(write("paper.json", JSON.stringify(presetInput("paper"))));
    expect(r.ok && r.scenario.tenants.map((t) => t.type)).toEqual(["vit", "bert", "whisper", "llama"]);
  });

  it("accepts a UTF-8 byte-order mark in JSON as in YAML (regression, issue 11)", async () => {
    const text = JSON.stringify(presetInput("tiny"));
    const json = await loadScenarioFile(write("bom.json", `\uFEFF${text}`));
    expect(json.ok, JSON.stringify(json)).toBe(true);
    const yaml = await loadScenarioFile(
      write(
        "bom.yaml",
        `\uFEFFseed: 1\n${"devices:\n  count: 12\n"}tenants:\n  - { name: cam, type: vit, target: 0.01, deadline: 600, budget: 5, samplesPerRound: 8, cutLayer: 1 }\n`,
      ),
    );
    expect(yaml.ok).toBe(true);
    // and a syntax error after one still says where
    const bad = await loadScenarioFile(write("bom-bad.json", '\uFEFF{\n  "seed": ,\n}'));
    expect(!bad.ok && bad.issues[0].message).toMatch(/at line 2, column 11/);
  });

  it("loads YAML", async () => {
    const yaml = [
      "seed: demo",
      "devices:",
      "  count: 12",
      "tenants:",
      "  - { name: cam, type: vit, target: 0.01, deadline: 600, budget: 5, samplesPerRound: 8, cutLayer: 1 }",
    ].join("\n");
    const r = await loadScenarioFile(write("s.yaml", yaml));
    expect(r.ok && r.scenario.seed).toBe("demo");
  });

  it("reports a broken scenario's fields all at once", async () => {
    const raw = presetInput("tiny") as {
      tenants: Record<string, unknown>[];
      devices: Record<string, unknown>;
    };
    raw.tenants[1].budget = 0;
    raw.tenants[2].deadline = "soon";
    raw.devices.count = -5;
    const r = await loadScenarioFile(write("broken.json", JSON.stringify(raw)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path).sort()).toEqual([
      "devices.count",
      "tenants[1].budget",
      "tenants[2].deadline",
    ]);
  });

  it("reports a missing file, bad JSON with its line, bad YAML", async () => {
    const missing = await loadScenarioFile(join(dir, "nope.json"));
    expect(!missing.ok && missing.issues[0].message).toMatch(
      /cannot read scenario file .*nope\.json: no such file/,
    );
    const bad = await loadScenarioFile(write("bad.json", '{\n  "seed": 1,\n  "tenants": [,]\n}'));
    expect(!bad.ok && bad.issues[0].message).toMatch(/not valid JSON: .*line 3/);
    const badYaml = await loadScenarioFile(write("bad.yml", "tenants: [\n  a: b: c"));
    expect(!badYaml.ok && badYaml.issues[0].message).toMatch(/not valid YAML/);
    const dirIssue = await loadScenarioFile(dir);
    expect(!dirIssue.ok && dirIssue.issues[0].message).toMatch(/is a directory/);
  });

  it("tries JSON then YAML for other extensions", () => {
    expect(parseScenarioText(JSON.stringify(presetInput("tiny")), "auto").ok).toBe(true);
    const r = parseScenarioText("devices: {count: 3}\ntenants: []", "auto");
    expect(!r.ok && r.issues.map((i) => i.path)).toEqual(["tenants"]);
  });
});

describe("jsonErrorOffset", () => {
  it("finds the first syntax error, and -1 for valid JSON", () => {
    expect(jsonErrorOffset('{"a": [1, 2, {"b": "c\\"d"}], "e": -1.5e3, "f": null}')).toBe(-1);
    expect(jsonErrorOffset('{"a": [,]}')).toBe(7);
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('{"a": tru}')).toBe(6);
    expect(jsonErrorOffset("[1] x")).toBe(4);
    expect(jsonErrorOffset('"open')).toBe(5);
  });
});
