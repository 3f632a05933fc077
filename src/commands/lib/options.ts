import type { ChatInputCommandInteraction } from 'discord.js';
import { CommandInputError } from '../types';

/**
 * Option readers that enforce on the server side what the builder declares (a client or an older
 * registration may send anything): a bad value throws CommandInputError naming the option.
 */
export function integerOption(i: ChatInputCommandInteraction, name: string, range: { min: number; max: number; fallback: number }): number {
  const v = i.options.getInteger(name);
  if (v === null) return range.fallback;
  if (!Number.isInteger(v) || v < range.min || v > range.max) throw new CommandInputError(name, `must be a whole number from ${range.min} to ${range.max}`);
  return v;
}

export function choiceOption<T extends string>(i: ChatInputCommandInteraction, name: string, choices: readonly T[], fallback: T): T {
  const v = i.options.getString(name);
  if (v === null) return fallback;
  if (!(choices as readonly string[]).includes(v)) throw new CommandInputError(name, `must be one of ${choices.join(', ')}`);
  return v as T;
}

/** A trimmed string of `min`–`max` characters; null when optional and absent. */
export function textOption(i: ChatInputCommandInteraction, name: string, limits: { min: number; max: number; required: true }): string;
export function textOption(i: ChatInputCommandInteraction, name: string, limits: { min: number; max: number; required?: false }): string | null;
export function textOption(i: ChatInputCommandInteraction, name: string, limits: { min: number; max: number; required?: boolean }): string | null {
  const raw = i.options.getString(name);
  if (raw === null) {
    if (limits.required) throw new CommandInputError(name, 'is required');
    return null;
  }
  const v = raw.trim();
  if (v.length < limits.min || v.length > limits.max) throw new CommandInputError(name, limits.min === limits.max ? `must be ${limits.max} characters` : `must be ${limits.min}–${limits.max} characters (got ${v.length})`);
  return v;
}
