/** The policy contract lives in env/policy.ts (env owns it, policies implement it); re-exported here. */
export type * from "../env/policy.ts";
