import type { FieldError, TraderMessage } from './types.js';
import { check, validateTraderMessage, type CheckResult } from './validators.js';

/**
 * The schema, plus the rules JSON Schema cannot say: line numbers are unique within a message,
 * because routing and each agency's view select items by line number.
 */
export function checkTraderMessage(data: unknown): CheckResult<TraderMessage> {
  const result = check(validateTraderMessage, data);
  if (!result.ok) return result;
  const errors = duplicateLineErrors(result.value);
  return errors.length > 0 ? { ok: false, errors } : result;
}

function duplicateLineErrors(message: TraderMessage): FieldError[] {
  if (message.kind === 'withdrawal' || !message.items) return [];
  const seen = new Map<number, number>();
  const errors: FieldError[] = [];
  message.items.forEach((item, index) => {
    const first = seen.get(item.lineNo);
    if (first === undefined) seen.set(item.lineNo, index);
    else
      errors.push({
        path: `items[${index}].lineNo`,
        message: `line ${item.lineNo} is already used by items[${first}]; line numbers must be unique`,
      });
  });
  return errors;
}
