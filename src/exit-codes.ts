/**
 * The process's exit codes (documented in docs/running.md#exit-codes). A supervisor should not
 * restart on CONFIG: the same start would fail the same way until an operator changes something
 * (systemd: RestartPreventExitStatus=78; PM2: stop_exit_codes: [78]).
 */
export const EXIT = {
  /** Stopped by SIGINT/SIGTERM after writing what was received (or keeping it in the spill file). */
  OK: 0,
  /** A failure that may pass: the database or Discord unreachable, a crash. Restarting is right. */
  FAILURE: 1,
  /** EX_CONFIG (sysexits.h): bad configuration, a refused token (4004) or intents (4014), pending migrations under MIGRATIONS=check. */
  CONFIG: 78,
  /** A second signal: stopped at once, without waiting for the database. */
  INTERRUPTED: 130,
} as const;
