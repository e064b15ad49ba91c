import type { MarketInstance } from "../market/instance.ts";
import type { SolveResult } from "../market/stackelberg.ts";

/**
 * The outputs of `sfl-market solve`: the JSON contract of docs/cli.md and the readable summary.
 * Doubles are written as JSON.stringify writes them (the shortest text that reads back to the same
 * double), so every number round-trips exactly. A non-finite number has no JSON form: it is written
 * as null and a line in `warnings` says which entry and why.
 */
export interface SolveJson {
  method: SolveResult["method"];
  converged: boolean;
  stopped: boolean;
  note: string | null;
  iterations: number;
  tol: number;
  exact: boolean;
  dualityGap: number | null;
  tau: number;
  budget: number[];
  spend: (number | null)[];
  objective: (number | null)[];
  nashConv: (number | null)[];
  congestion: (number | null)[];
  prices: (number | null)[][];
  participation: (number | null)[][];
  warnings: string[];
}

export function solveJson(m: MarketInstance, r: SolveResult): SolveJson {
  const warnings: string[] = [];
  const finite = (x: number, path: string, why: string): number | null => {
    if (Number.isFinite(x)) return x;
    warnings.push(`${path} is ${x} (${why}); written as null`);
    return null;
  };
  const vector = (a: Float64Array, name: string, why: string) =>
    Array.from(a, (x, k) => finite(x, `${name}[${k}]`, why));
  const matrix = (a: Float64Array, name: string) =>
    Array.from({ length: m.M }, (_, i) =>
      Array.from(a.subarray(i * m.N, (i + 1) * m.N), (x, j) =>
        finite(x, `${name}[${i}][${j}]`, "unexpected"),
      ),
    );
  return {
    method: r.method,
    converged: r.converged,
    stopped: r.stopped,
    note: r.note ?? null,
    iterations: r.iterations,
    tol: r.tol,
    exact: r.exact,
    dualityGap: finite(r.dualityGap, "dualityGap", "unexpected"),
    tau: m.tau,
    budget: Array.from(m.budget),
    spend: vector(r.spend, "spend", "unexpected"),
    objective: vector(r.objective, "objective", "an eligible device has zero participation"),
    nashConv: vector(r.nashConv, "nashConv", "unexpected"),
    congestion: vector(r.congestion, "congestion", "unexpected"),
    prices: matrix(r.prices, "prices"),
    participation: matrix(r.participation, "participation"),
    warnings,
  };
}

/** The readable summary: convergence, one row per tenant, then the congested devices. */
export function solveText(label: string, m: MarketInstance, r: SolveResult): string {
  const { M, N } = m;
  const lines: string[] = [];
  lines.push(`Stackelberg equilibrium of ${label}: ${M} tenants x ${N} devices, tau = ${m.tau}`);
  lines.push(convergenceLine(r));
  if (!r.exact) lines.push(`approximate best responses (tau > 2): duality gap ${sci(r.dualityGap)}`);
  lines.push("");

  const rows = [["tenant", "budget", "spend", "V_i", "NashConv", "devices used"]];
  for (let i = 0; i < M; i++) {
    let eligible = 0;
    let used = 0;
    for (let j = 0; j < N; j++) {
      if (m.value[i * N + j] > 0) eligible++;
      if (r.participation[i * N + j] > 0) used++;
    }
    rows.push([
      String(i),
      num(m.budget[i]),
      num(r.spend[i]),
      num(r.objective[i]),
      sci(r.nashConv[i]),
      `${used} of ${eligible}`,
    ]);
  }
  lines.push(...table(rows));
  lines.push("");

  const congested = Array.from(r.congestion.keys())
    .filter((j) => r.congestion[j] > 0)
    .sort((a, b) => r.congestion[b] - r.congestion[a]);
  const top = congested.slice(0, 5).map((j) => `device ${j} mu = ${num(r.congestion[j])}`);
  lines.push(
    `devices: ${congested.length} of ${N} congested (mu_j > 0)` +
      (top.length ? `; highest congestion prices: ${top.join(", ")}` : ""),
  );
  return `${lines.join("\n")}\n`;
}

/** Whether the point was accepted, how it was found, and by how much it passes or misses tol. */
export function convergenceLine(r: SolveResult): string {
  const worst = sci(Math.max(...r.nashConv));
  const how = `after ${r.iterations} iteration${r.iterations === 1 ? "" : "s"} (${r.method})`;
  if (r.converged) return `converged: max NashConv ${worst} <= tol ${sci(r.tol)} ${how}`;
  const why = r.stopped ? "stopped at the time limit (--max-seconds) " : "";
  const note = r.note ? ` (${r.note})` : "";
  return `NOT converged: ${why}max NashConv ${worst} > tol ${sci(r.tol)} ${how}; this is the best point found${note}`;
}

function num(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

function sci(x: number): string {
  return x === 0 || !Number.isFinite(x) ? String(x) : x.toExponential(1).replace(".0e", "e");
}

/** Left-aligned first column, right-aligned numbers. */
function table(rows: string[][]): string[] {
  const width = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(width[c]) : cell.padStart(width[c])))
      .join("  ")
      .trimEnd(),
  );
}
