// Types of pgpolicy/testing.
import type { IntrospectOptions } from '..';

/** The result of one policy test case. */
export interface PolicyTestOutcome {
  name: string;
  passed: boolean;
  /** What was expected and what happened. */
  detail: string;
}

/** Runs policy tests (a TOML file path, or its text) on the database at `url`. */
export function runPolicyTests(tests: string, url: string, options?: IntrospectOptions): Promise<PolicyTestOutcome[]>;
/** `runPolicyTests`, rejecting with an AssertionError that lists every failed case. */
export function assertPolicyTests(tests: string, url: string, options?: IntrospectOptions): Promise<void>;
