import { Attachment } from './Attachment';
import { BotStatus } from './BotStatus';
import { Channel } from './Channel';
import { Log } from './Log';
import { Message } from './Message';
import { MessageRevision } from './MessageRevision';
import { PollVote } from './PollVote';
import { PurgeRun } from './PurgeRun';
import { Reaction } from './Reaction';
import { RetentionRule } from './RetentionRule';
import { Schedule } from './Schedule';
import { Session } from './Session';
import { Skill } from './Skill';
import { Task } from './Task';
import { User } from './User';

export { Attachment, BotStatus, Channel, Log, Message, MessageRevision, PollVote, PurgeRun, Reaction, RetentionRule, Schedule, Session, Skill, Task, User };
export * from './Attachment';
export * from './BotStatus';
export * from './Channel';
export * from './Log';
export * from './Message';
export * from './PollVote';
export * from './Reaction';
export * from './Task';

/** Every entity, in dependency order. */
export const ENTITIES = [BotStatus, User, Session, Message, MessageRevision, Reaction, PollVote, Attachment, Schedule, Task, Skill, Log, RetentionRule, PurgeRun, Channel];
