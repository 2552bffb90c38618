/**
 * Where an open or a click is judged a machine's (a privacy proxy, a link scanner, a burst): the
 * rules and the functions applying them. Activity is flagged, never dropped.
 */
import { z } from 'zod';

/**
 * Machine-activity rules. Activity is flagged, never dropped: reports show all and human figures.
 * Per-event rules depend on one event only; the burst rule is evaluated over a recipient's whole
 * click history at projection time, so the result does not depend on the order events arrive in.
 * Sources and limits: docs/engagement.md.
 */
export const machineRulesSchema = z.object({
  /** An open or click this soon after SES accepted the message is a security scanner's. @default 10 */
  scannerWindowSeconds: z.number().int().min(0).default(10),
  /** This many distinct links clicked within `burstWindowSeconds` are a scanner's. @default 3 */
  burstLinks: z.number().int().min(2).default(3),
  /** @default 2 */
  burstWindowSeconds: z.number().int().min(0).default(2),
  /** User agents of prefetching privacy proxies (Apple Mail Privacy Protection sends a bare `Mozilla/5.0`). */
  privacyProxyUserAgents: z.array(z.string()).default(['^Mozilla/5\\.0$', 'GoogleImageProxy', 'YahooMailProxy']),
  /** Apple's 17.0.0.0/8 is where Mail Privacy Protection fetches from. */
  privacyProxyIpPrefixes: z.array(z.string()).default(['17.']),
  /** User agents of link scanners and tools, matched case-insensitively. */
  scannerUserAgents: z
    .array(z.string())
    .default([
      'barracuda',
      'mimecast',
      'proofpoint',
      'symantec',
      'python-requests',
      'curl/',
      'headlesschrome',
      'bot\\b',
      'crawler',
      'spider',
    ]),
});
export type MachineRules = z.infer<typeof machineRulesSchema>;
export const defaultMachineRules: MachineRules = machineRulesSchema.parse({});

export type MachineFlag = 'privacy-proxy' | 'scanner-agent' | 'too-fast' | 'link-burst';

/**
 * The per-event rules, judged when the event is recorded: a scanner's user agent; for an open, a
 * privacy proxy's user agent or address; an open or click too soon after the send.
 */
export function flagActivity(
  kind: 'open' | 'click',
  input: { at: string; sentAt: string; userAgent?: string; ipAddress?: string },
  rules: MachineRules,
): MachineFlag | undefined {
  const ua = input.userAgent ?? '';
  if (rules.scannerUserAgents.some((p) => new RegExp(p, 'i').test(ua))) return 'scanner-agent';
  if (kind === 'open') {
    const proxyUa = rules.privacyProxyUserAgents.some((p) => new RegExp(p).test(ua));
    const proxyIp = rules.privacyProxyIpPrefixes.some((p) => input.ipAddress?.startsWith(p));
    if (proxyUa || proxyIp) return 'privacy-proxy';
  }
  const secondsAfterSend = (Date.parse(input.at) - Date.parse(input.sentAt)) / 1000;
  if (secondsAfterSend < rules.scannerWindowSeconds) return 'too-fast';
  return undefined;
}

/**
 * What the burst rule reads of a recipient's click (`RecipientEngagement['clicks']`): epoch seconds,
 * link id, and the per-event flag ('' when none).
 */
export type FlaggedClick = readonly [at: number, linkId: string, flag: string, ...rest: string[]];

/** Click flags after the burst rule, which needs the whole history (order-independent by construction). */
export function classifyClicks(clicks: readonly FlaggedClick[], rules: MachineRules): (MachineFlag | '')[] {
  return clicks.map(([at, , flag]) => {
    if (flag) return flag as MachineFlag;
    const windowLinks = new Set(clicks.filter(([t]) => Math.abs(t - at) <= rules.burstWindowSeconds).map(([, link]) => link));
    return windowLinks.size >= rules.burstLinks ? 'link-burst' : '';
  });
}
