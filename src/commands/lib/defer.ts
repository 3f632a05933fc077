import type { CommandContext } from '../types';

/**
 * Runs `work`; if it is not done within `afterMs`, defers the reply first (Discord allows 3 s for
 * the first answer). Waits for a deferral in flight before returning or throwing, so the reply
 * that follows (or the router's error reply) edits it instead of answering twice.
 */
export async function deferredIfSlow<T>(ctx: Pick<CommandContext, 'defer' | 'logger'>, work: () => Promise<T>, opts: { afterMs?: number; ephemeral?: boolean } = {}): Promise<T> {
  let deferring: Promise<void> | null = null;
  const timer = setTimeout(() => {
    deferring = ctx.defer(opts.ephemeral ?? false).catch((e: Error) => ctx.logger.warn({ err: e.message }, 'could not defer the reply'));
  }, opts.afterMs ?? 1500);
  try {
    return await work();
  } finally {
    clearTimeout(timer);
    if (deferring) await deferring;
  }
}
