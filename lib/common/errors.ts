import type { RecipientOutcome } from '../sending/ports';

/**
 * Domain errors. They know nothing of HTTP: each trigger (API, queue, CLI) maps them to its own
 * response. `retryable` tells a queue consumer whether to hand the message back for another try.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  readonly retryable: boolean = false;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input is well-formed but breaks a rule (unknown placeholder, bad email …). */
export class ValidationError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

/** The request conflicts with the current state (sending a cancelled campaign …). */
export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
}

/** A concurrent writer won; the caller may read again and retry. */
export class ConcurrentUpdateError extends DomainError {
  readonly code = 'CONCURRENT_UPDATE';
  override readonly retryable = true;
}

/** A dependency refused for now (throttling, timeouts); the work must be retried, never dropped. */
export class TransientDependencyError extends DomainError {
  readonly code = 'TRANSIENT_DEPENDENCY';
  override readonly retryable = true;
}

/** A list cursor that this API did not issue, or issued for other filters: start the listing again. */
export class InvalidCursorError extends DomainError {
  readonly code = 'INVALID_CURSOR';
}

/** The provider refused this message for this recipient; retrying will not help. */
export class PermanentSendError extends DomainError {
  readonly code = 'PERMANENT_SEND_FAILURE';
}

/**
 * Nothing can be sent until a person acts: the account is paused or suspended, the sender identity
 * or configuration set is missing, the daily quota is spent. The campaign pauses with this reason
 * rather than failing every recipient or retrying forever.
 */
export class SendingBlockedError extends DomainError {
  readonly code = 'SENDING_BLOCKED';
}

/**
 * The call may or may not have reached the provider (a timeout or a connection lost after the
 * request was written). Retrying could mail someone twice, giving up could skip them: the claim
 * stays until its lease expires, and the takeover asks SES's Send events what happened.
 */
export class SendOutcomeUnknownError extends DomainError {
  readonly code = 'SEND_OUTCOME_UNKNOWN';
  override readonly retryable = true;
}

/**
 * Whether an error is passing (worth handing the work back for another try): a domain error that
 * says so, or what the AWS SDK marks retryable (throttling, 5xx, timeouts).
 */
export function isRetryable(error: unknown): boolean {
  const e = error as { retryable?: boolean; name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e?.retryable) return true;
  if (e?.$retryable) return true;
  const status = e?.$metadata?.httpStatusCode ?? 0;
  return status >= 500 || e?.name === 'ProvisionedThroughputExceededException' || e?.name === 'ThrottlingException';
}

/**
 * Some recipients' send outcomes could not be written (DynamoDB failed for them; the others were
 * written). SES has answered for these, so they must not be lost: the sender carries them on to the
 * job's continuation, which writes them before anything else.
 */
export class OutcomesNotRecordedError extends DomainError {
  readonly code = 'OUTCOMES_NOT_RECORDED';
  override readonly retryable: boolean;
  constructor(
    readonly outcomes: RecipientOutcome[],
    override readonly cause: unknown,
  ) {
    super(`${outcomes.length} send outcomes not recorded: ${(cause as Error)?.message ?? String(cause)}`);
    this.retryable = isRetryable(cause);
  }
}
