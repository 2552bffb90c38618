import type { z } from 'zod';

/**
 * A contact row's validation problems in plain words, one per problem ("email is missing", not
 * "expected string, received undefined"): what a marketer reads in the import summary, the
 * `--errors` file and the API's answer.
 */
export function rowProblems(
  row: number,
  fields: unknown,
  issues: readonly z.core.$ZodIssue[],
): { row: number; field: string; reason: string }[] {
  const given = (fields ?? {}) as Record<string, unknown>;
  return issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '(row)';
    return { row, field, reason: plainReason(issue, field, issue.path.length ? given[String(issue.path[0])] : fields) };
  });
}

function plainReason(issue: z.core.$ZodIssue, field: string, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (!issue.path.length) return `the row is not a contact: expected an object with its fields, got a ${typeof value}`;
      if (value === undefined) return `${field} is missing`;
      return `${field} must be ${issue.expected === 'boolean' ? 'yes or no (true/false, 1/0)' : `a ${issue.expected}`}`;
    case 'invalid_format':
      return issue.format === 'email'
        ? `${field} is not a valid email address`
        : `${field} is not in the expected format (${issue.format})`;
    case 'invalid_value':
      return `${field} must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_big':
    case 'too_small':
      return sizeReason(issue, field);
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
    default:
      return `${field}: ${issue.message}`;
  }
}

function sizeReason(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall, field: string): string {
  const bound = Number(issue.code === 'too_big' ? issue.maximum : issue.minimum);
  const unit = issue.origin === 'array' ? 'items' : 'characters';
  if (issue.code === 'too_small' && bound === 1) return `${field} is empty`;
  if ((issue as { exact?: boolean }).exact) return `${field} must have exactly ${bound} ${unit}`;
  return `${field} must have ${issue.code === 'too_big' ? 'at most' : 'at least'} ${bound} ${unit}`;
}
