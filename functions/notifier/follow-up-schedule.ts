/**
 * The input the follow-up schedule invokes the notifier with (EventBridge Scheduler on AWS, a timer
 * in the local runtime): one run of `sendDueFollowUps`. Shared by the handler, the CDK stack and
 * the local runtime, so the three cannot drift.
 */
export const followUpRunInput = { action: 'send-due-follow-ups' } as const;

/** How often the follow-up schedule runs by default: a reminder or escalation goes out at most this late. */
export const DEFAULT_FOLLOW_UP_INTERVAL_MINUTES = 5;

export const isFollowUpRun = (event: unknown): event is typeof followUpRunInput =>
  typeof event === 'object' && event !== null && (event as { action?: unknown }).action === followUpRunInput.action;
