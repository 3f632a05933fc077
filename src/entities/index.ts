import { Attachment } from './Attachment';
import { BotStatus } from './BotStatus';
import { Log } from './Log';
import { Message } from './Message';
import { Schedule } from './Schedule';
import { Session } from './Session';
import { Skill } from './Skill';
import { Task } from './Task';
import { User } from './User';

export { Attachment, BotStatus, Log, Message, Schedule, Session, Skill, Task, User };
export * from './Attachment';
export * from './BotStatus';
export * from './Log';
export * from './Message';
export * from './Task';

/** Every entity, in dependency order. */
export const ENTITIES = [BotStatus, User, Session, Message, Attachment, Schedule, Task, Skill, Log];
