/**
 * The From of a campaign: one RFC 5322 mailbox — `local@domain` or `Display Name <local@domain>` —
 * at the configured sender domain. A small strict parser rather than a library: the grammar needed
 * is a few lines, and the well-kept parsers (addressparser, email-addresses) are lenient by design
 * (they recover lists and comments from broken input), which is what must be refused here.
 *
 * Amazon SES takes 7-bit ASCII only in FromEmailAddress: a non-ASCII display name must already be
 * a MIME encoded-word (`=?utf-8?B?…?=`, which is made of atext); SES does not support SMTPUTF8
 * (https://docs.aws.amazon.com/ses/latest/dg/send-email-raw.html).
 */
const atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const dotAtom = `${atext}+(?:\\.${atext}+)*`;
const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const addrSpec = `(${dotAtom})@(${label}(?:\\.${label})+)`;
// A phrase of atoms (with the obsolete but common "J. Smith" dots) or one quoted string.
const phrase = `(?:${atext}|\\.)+(?: (?:${atext}|\\.)+)*`;
const quoted = '"(?:[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\[\\x20-\\x7e])*"';
const mailbox = new RegExp(`^(?:${addrSpec}|(?:${phrase}|${quoted}) ?<${addrSpec}>)$`);

export interface SenderAddressCheck {
  ok: boolean;
  problem?: string;
}

/** Whether `from` is one mailbox at `senderDomain` (the domain compared case-insensitively, exactly: no subdomain). */
export function checkSenderAddress(from: string, senderDomain: string): SenderAddressCheck {
  const m = mailbox.exec(from);
  if (!m) return { ok: false, problem: 'is not one email address (local@domain, or Display Name <local@domain>; 7-bit ASCII)' };
  const local = m[1] ?? m[3]!;
  const domain = m[2] ?? m[4]!;
  if (local.length > 64 || domain.length > 253) return { ok: false, problem: 'has a local part over 64 or a domain over 253 characters' };
  if (domain.toLowerCase() !== senderDomain.toLowerCase())
    return { ok: false, problem: `must be an address at the sender domain ${senderDomain}` };
  return { ok: true };
}

/** The domain of an address, with or without a display name (used to default the sender domain). */
export function domainOf(address: string): string | undefined {
  return /@([^@>\s]+)>?\s*$/.exec(address)?.[1];
}
