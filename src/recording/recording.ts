import type { Session } from '../entities/Session';
import type { Person, User } from '../entities/User';
import type { ForgetResult } from '../database/stores/privacy.store';
import type { RecordedAuthor, RecordedCreate, RecordedEdit } from './events';
import type { Recorder } from './recorder';
import type { RecordingStore, SessionChange } from './recording.store';
import type { WriteQueue } from './write-queue';

/**
 * What commands get of the recording pipeline: a wait for what was received to be committed,
 * the changes they may make to recorded data (queued with the messages, so they apply in arrival
 * order and the store's caches follow), and the bot's replies Discord does not echo.
 */
export class Recording {
  constructor(
    private readonly queue: WriteQueue,
    private readonly recorder: Recorder,
    private readonly store: RecordingStore,
  ) {}

  /** After this long without messages, a person's next message in a channel starts a new session. */
  get idleMs(): number {
    return this.store.idleMs;
  }

  /**
   * Resolves once everything received before the call is committed; with `maxWaitMs`, after that
   * long at most (false: not everything was committed yet).
   */
  async settled(maxWaitMs?: number): Promise<boolean> {
    if (maxWaitMs === undefined) {
      await this.queue.flush();
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([this.queue.flush().then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), maxWaitMs)))]);
    clearTimeout(timer);
    return done;
  }

  /** Erases a person after everything received before this call (their messages waiting in memory are dropped). */
  forget(person: Person): Promise<ForgetResult> {
    return this.queue.request<ForgetResult>({ kind: 'forget', person });
  }

  /** The person's open session in the channel, made (with their user row) when missing. */
  async ensureSession(person: RecordedAuthor, channelId: string, guildId: string | null): Promise<{ user: User; session: Session }> {
    const c = await this.queue.request<SessionChange>({ kind: 'session', action: 'ensure', person, channelId, guildId });
    return { user: c.user!, session: c.session! };
  }

  /** Ends the person's open session in the channel (if any) and starts a new one. */
  startFreshSession(person: RecordedAuthor, channelId: string, guildId: string | null): Promise<SessionChange> {
    return this.queue.request<SessionChange>({ kind: 'session', action: 'fresh', person, channelId, guildId });
  }

  /** Ends the person's open session in the channel; `ended` is null when there was none. */
  endSession(person: RecordedAuthor, channelId: string, guildId: string | null): Promise<SessionChange> {
    return this.queue.request<SessionChange>({ kind: 'session', action: 'end', person, channelId, guildId });
  }

  /** Records a reply of the bot's that Discord does not echo on the gateway (ephemeral ones). */
  recordReply(event: RecordedCreate | RecordedEdit): void {
    this.recorder.push(event);
  }
}
