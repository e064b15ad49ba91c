import type { RunId } from "../agents/comparison.ts";
import type { MarketEvent } from "../agents/runtime.ts";

/**
 * A progress display for long comparisons, fed by the runtime's event stream. On a terminal it
 * redraws one line (runs done, the current run, its simulated time and the tenants finished);
 * elsewhere it prints one line per finished run. It never touches results. A redrawn line is cut to
 * the terminal's width (`columns`), so it never wraps: a wrapped line would scroll at every redraw.
 */
export function progressReporter(
  write: (s: string) => void,
  tty: boolean,
  columns: number = process.stderr.columns || 80,
) {
  const redraw = (s: string) => {
    const room = Math.max(10, columns - 1);
    write(`\r\x1b[2K${s.length > room ? `${s.slice(0, room - 1)}…` : s}`);
  };
  let finished = 0;
  let tenants = 0;
  let lastDraw = -1;
  let events = 0;
  const bar = (done: number, total: number) => {
    const width = 24;
    const full = Math.round((width * done) / total);
    return `[${"#".repeat(full)}${".".repeat(width - full)}]`;
  };
  return {
    onEvent(run: RunId, e: MarketEvent) {
      events++;
      if (e.type === "targetMet" || e.type === "deadlineMissed" || e.type === "tenantUnfinished") finished++;
      if (e.type === "tenantArrived" || e.type === "tenantInfeasible") tenants++;
      if (e.type === "episodeEnded") {
        const met = e.result.outcomes.filter((o) => o.met).length;
        const line = `run ${run.index + 1}/${run.total}: ${run.policy}, seed ${run.seed}: ${met}/${e.result.outcomes.length} targets met`;
        if (tty) redraw(`${bar(run.index + 1, run.total)} ${line}`);
        else write(`${line}\n`);
        finished = 0;
        tenants = 0;
        return;
      }
      if (!tty || events - lastDraw < 250 || !("time" in e)) return;
      lastDraw = events;
      redraw(
        `${bar(run.index, run.total)} run ${run.index + 1}/${run.total}: ${run.policy}, seed ${run.seed}, t = ${Math.round(e.time)} s, ${finished}/${tenants} tenants finished`,
      );
    },
    done() {
      if (tty) write("\n");
    },
  };
}
