import { stringify } from "yaml";

/**
 * What a cluster scheduler runs: a Slurm job array with a dependent collect job, and a Kubernetes
 * Indexed Job. Both start `sfl-market sweep run DIR --chunk C` once per index; the index comes from
 * the scheduler (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX), and DIR must be on a file system
 * every node mounts at the same path (docs/sweeps.md, "How code and data reach the nodes").
 */

export interface ClusterJob {
  /** The sweep directory, absolute. */
  readonly dir: string;
  /** Distinct runs in the manifest. */
  readonly runs: number;
  /** Runs per array task / pod. */
  readonly chunk: number;
  /** The command that starts sfl-market on a node, e.g. ["node", "/opt/sfl-market/bin/sfl-market.js"]. */
  readonly command: readonly string[];
  readonly name: string;
}

export const tasksOf = (job: Pick<ClusterJob, "runs" | "chunk">) =>
  Math.max(1, Math.ceil(job.runs / job.chunk));

const sh = (s: string) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The three files of `sweep slurm`: the array script, the collect script, and submit.sh. */
export function slurmFiles(job: ClusterJob, throttle: number | undefined): Record<string, string> {
  const n = tasksOf(job);
  const cmd = job.command.map(sh).join(" ");
  const dir = sh(job.dir);
  const array = `#!/bin/bash
# ${job.name}: ${job.runs} runs in ${n} array tasks of up to ${job.chunk} runs (sfl-market sweep slurm).
# A task that is killed or resubmitted repeats no finished run: finished runs are skipped.
#SBATCH --job-name=${job.name}
#SBATCH --array=0-${n - 1}${throttle ? `%${throttle}` : ""}
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --output=${job.dir}/slurm/logs/%A_%a.out
set -euo pipefail
exec ${cmd} sweep run ${dir} --chunk ${job.chunk}
`;
  const collect = `#!/bin/bash
# Runs after every array task succeeded: results.jsonl and report/index.html.
#SBATCH --job-name=${job.name}-collect
#SBATCH --ntasks=1
#SBATCH --output=${job.dir}/slurm/logs/collect_%j.out
set -euo pipefail
exec ${cmd} sweep collect ${dir}
`;
  const submit = `#!/bin/bash
# Submits the array, then the collect job to start when every task has succeeded (afterok).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p logs
array=$(sbatch --parsable array.sbatch)
array=\${array%%;*}
collect=$(sbatch --parsable --dependency=afterok:$array collect.sbatch)
echo "submitted array job $array (${n} tasks) and collect job \${collect%%;*}"
`;
  return { "array.sbatch": array, "collect.sbatch": collect, "submit.sh": submit };
}

export interface K8sOptions {
  readonly image: string;
  /** A PersistentVolumeClaim (ReadWriteMany) that holds the sweep directory, mounted at `mount`. */
  readonly claim: string;
  readonly mount: string;
  readonly parallelism: number;
}

/** The Indexed Job of `sweep k8s`: one pod per index, each running its chunk of the manifest. */
export function indexedJob(job: ClusterJob, o: K8sOptions): Record<string, unknown> {
  const n = tasksOf(job);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: job.name, labels: { app: "sfl-market-sweep" } },
    spec: {
      completions: n,
      parallelism: Math.min(o.parallelism, n),
      completionMode: "Indexed",
      backoffLimitPerIndex: 2,
      template: {
        metadata: { labels: { app: "sfl-market-sweep" } },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "run",
              image: o.image,
              command: [...job.command, "sweep", "run", job.dir, "--chunk", String(job.chunk)],
              resources: { requests: { cpu: "1" } },
              volumeMounts: [{ name: "sweep", mountPath: o.mount }],
            },
          ],
          volumes: [{ name: "sweep", persistentVolumeClaim: { claimName: o.claim } }],
        },
      },
    },
  };
}

export const indexedJobYaml = (job: ClusterJob, o: K8sOptions) => stringify(indexedJob(job, o));
