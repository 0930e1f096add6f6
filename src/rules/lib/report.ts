// Findings are made here, from a rule's messages (ESLint's context.report({ messageId, data })): the
// title is the message with its data filled in, so a finding's wording lives in the rule's meta and
// a tool can match on messageId instead of on text.
import type { Finding } from '../../model/diagnosis.js';
import type { RuleMeta } from '../types.js';

export type FindingBody = Omit<Finding, 'id' | 'messageId' | 'data' | 'title'>;

/** `{{name}}` → data.name; a placeholder without a value is a bug in the rule, not a blank. */
export function fillMessage(template: string, data: Record<string, string | number>, where: string): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_m, name: string) => {
    if (!(name in data)) throw new Error(`${where}: no value for {{${name}}}`);
    return String(data[name]);
  });
}

export function report(meta: RuleMeta<unknown>, messageId: string, data: Record<string, string | number>, body: FindingBody): Finding {
  const template = meta.messages[messageId];
  if (template === undefined) throw new Error(`${meta.id}: unknown messageId "${messageId}"`);
  return { id: meta.id, messageId, data, title: fillMessage(template, data, `${meta.id}.${messageId}`), ...body };
}

/** "1 process" / "3 processes": the count with its noun, for message data. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
