import type { Scenario } from "../env/scenario.ts";
import { loadScenarioFile } from "../env/scenarioFile.ts";
import { InputError, type InputIssue } from "../market/errors.ts";

/** Reads and validates a scenario file; throws the InputError main prints (exit 2). */
export async function readScenarioFile(file: string): Promise<Scenario> {
  const loaded = await loadScenarioFile(file);
  if (!loaded.ok) throw scenarioFileError(file, loaded.issues);
  return loaded.scenario;
}

/**
 * The InputError main prints (exit 2). loadScenarioFile reports a file it cannot read or parse as
 * one issue at the root that names the file; that message is printed as it is, not as `(root): ...`.
 */
function scenarioFileError(file: string, issues: readonly InputIssue[]): InputError {
  const error = new InputError(issues, `scenario file ${file}`);
  if (issues.length > 0 && issues.every((x) => x.path === ""))
    error.message = issues
      .map((x) =>
        x.message.includes(`scenario file ${file}`)
          ? x.message
          : `invalid scenario file ${file}: ${x.message}`,
      )
      .join("\n");
  return error;
}
