import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { indexedJob, indexedJobYaml, slurmFiles, tasksOf } from "./cluster.ts";
import { indexedJobSchema } from "./k8sSchema.ts";

const job = {
  dir: "/shared/sweeps/paper",
  runs: 27,
  chunk: 4,
  command: ["node", "/opt/sfl/bin/sfl-market.js"],
  name: "sfl-sweep-ab12cd34",
};
const k8s = {
  image: "registry.example/sfl-market:0.1.0",
  claim: "sweeps",
  mount: "/shared/sweeps",
  parallelism: 50,
};

describe("cluster jobs", () => {
  it("a Slurm array of ceil(runs / chunk) tasks, throttled, and a collect job after it succeeds", () => {
    expect(tasksOf(job)).toBe(7);
    const files = slurmFiles(job, 3);
    expect(files["array.sbatch"]).toContain("#SBATCH --array=0-6%3\n");
    expect(files["array.sbatch"]).toContain(
      "exec node /opt/sfl/bin/sfl-market.js sweep run /shared/sweeps/paper --chunk 4\n",
    );
    expect(files["collect.sbatch"]).toContain("sweep collect /shared/sweeps/paper\n");
    expect(files["submit.sh"]).toContain("--dependency=afterok:$array collect.sbatch");
    expect(slurmFiles({ ...job, chunk: 1 }, undefined)["array.sbatch"]).toContain("#SBATCH --array=0-26\n");
  });

  it("the Indexed Job passes the batch/v1 Indexed Job schema; its pods cover every run", () => {
    const parsed = parse(indexedJobYaml(job, k8s));
    const r = indexedJobSchema.safeParse(parsed);
    expect(r.success ? [] : r.error.issues).toEqual([]);
    expect(parsed.spec).toMatchObject({ completions: 7, parallelism: 7, completionMode: "Indexed" });
    expect(parsed.spec.template.spec.containers[0].command.slice(-4)).toEqual([
      "run",
      "/shared/sweeps/paper",
      "--chunk",
      "4",
    ]);
  });

  it("the schema refuses what the API server would: no completionMode, a bad name, a mount without a volume", () => {
    const good = indexedJob(job, k8s) as {
      metadata: { name: string };
      spec: Record<string, unknown> & { template: { spec: { volumes?: unknown } } };
    };
    const bad = (f: (j: typeof good) => void) => {
      const j = structuredClone(good);
      f(j);
      return indexedJobSchema.safeParse(j).success;
    };
    expect(bad(() => {})).toBe(true);
    expect(bad((j) => delete j.spec.completionMode)).toBe(false);
    expect(bad((j) => (j.metadata.name = "Sweep_1"))).toBe(false);
    expect(bad((j) => delete j.spec.template.spec.volumes)).toBe(false);
    expect(bad((j) => (j.spec.completions = 200_000))).toBe(false);
  });
});
