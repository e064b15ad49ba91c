import type { RunId } from "../agents/comparison.ts";
import type { MarketEvent } from "../agents/runtime.ts";

/**
 * A progress display for long comparisons, fed by the runtime's event stream. On a terminal it
 * redraws one line (runs done, the current run, its simulated time and the tenants finished);
 * elsewhere it prints one line per finished run. It never touches results.
 */
export function progressReporter(write: (s: string) => void, tty: boolean) {
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
        if (tty) write(`\r\x1b[2K${bar(run.index + 1, run.total)} ${line}`);
        else write(`${line}\n`);
        finished = 0;
        tenants = 0;
        return;
      }
      if (!tty || events - lastDraw < 250 || !("time" in e)) return;
      lastDraw = events;
      write(
        `\r\x1b[2K${bar(run.index, run.total)} run ${run.index + 1}/${run.total}: ${run.policy}, seed ${run.seed}, t = ${Math.round(e.time)} s, ${finished}/${tenants} tenants finished`,
      );
    },
    done() {
      if (tty) write("\n");
    },
  };
}
