import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Where a sweep's results came from (DIR/meta.json): what produced them, never when. */

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The checkout's commit, or null outside a git checkout (an installed package) or without git. */
export function gitCommit(): string | null {
  try {
    const out = execFileSync("git", ["-C", ROOT, "rev-parse", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    }).trim();
    return /^[0-9a-f]{40}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}
