import { defineSkill, SkillInputError } from './types';

/** echo — returns its input. The smallest skill; handy to check that tasks run. */
export const echo = defineSkill<string>({
  name: 'echo',
  version: '1.0.0',
  description: 'Repeats the input back',
  usage: 'any text',
  permissions: [],
  location: 'src/skills/echo.ts',
  timeoutMs: 5_000,
  parse(raw) {
    const text = raw.trim();
    if (!text) throw new SkillInputError('give some text to echo');
    if (text.length > 1900) throw new SkillInputError('at most 1900 characters');
    return text;
  },
  async run(text) {
    return text;
  },
});
