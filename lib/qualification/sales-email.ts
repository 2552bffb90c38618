import Handlebars from 'handlebars';
import { displayName, type Contact } from '../contacts/contact';
import { withoutControlCharacters } from '../common/control-characters';
import type { Campaign } from '../sending/campaign';
import type { Lead } from './lead';

/**
 * The email that tells a lead's owner about a new MQL, as Handlebars templates set up as the
 * campaigns' are (lib/sending/render.ts): values HTML-escaped in the HTML part, left as text in the
 * text part and the subject, only the built-in helpers. The templates are kept in this module, not
 * in .hbs files, so that the notifier's bundle carries them.
 */
const hb = Handlebars.create();
const compile = (template: string, htmlEscaped: boolean) =>
  hb.compile(template, { noEscape: !htmlEscaped, strict: false, knownHelpersOnly: true });

const subject = compile('{{#if handRaiser}}Hand-raiser{{else}}New MQL{{/if}}: {{who}}{{#if company}} ({{company}}){{/if}}', false);

const title = compile(
  '{{#if handRaiser}}Hand-raiser{{else}}New marketing-qualified lead{{/if}}: {{who}}{{#if company}} at {{company}}{{/if}}',
  false,
);

/** How sales answers; rendered as text, then shown as such in both parts (escaped in the HTML). */
const feedback = compile(
  `Tell us what you make of it:
  accept:  mql lead accept {{contactId}}   (you will follow it up: SAL)
  qualify: mql lead qualify {{contactId}}  (a real opportunity: SQL)
  reject:  mql lead reject {{contactId}} --reason <not-a-fit|no-budget|no-authority|no-need|bad-timing|…>
  later:   mql lead stage {{contactId}} meeting|proposal|won|lost
  (API: POST /leads/{{contactId}}/feedback)`,
  false,
);

// A `{{#each}}` or `{{/each}}` alone on its line takes its line break with it (Handlebars
// standalone lines), so each fact and reason is one line.
const text = compile(
  `{{title}}

{{#each facts}}
{{label}}: {{value}}
{{/each}}

Why:
{{#each reasons}}
- {{this}}
{{/each}}

{{feedback}}`,
  false,
);

const html = compile(
  `<h2>{{title}}</h2>
<table>
{{#each facts}}
<tr><th align="left">{{label}}</th><td>{{value}}</td></tr>
{{/each}}
</table>
<h3>Why</h3><ul>
{{#each reasons}}
<li>{{this}}</li>
{{/each}}
</ul>
<pre>{{feedback}}</pre>`,
  true,
);

export interface SalesEmail {
  subject: string;
  text: string;
  html: string;
}

/** The notification of `lead` to its owner: who, what they did, which campaign, why, how to answer. */
export function renderSalesEmail(lead: Lead, contact: Contact, campaign: Campaign | undefined): SalesEmail {
  const names = { handRaiser: lead.handRaiser, who: displayName(contact), company: contact.company };
  const view = {
    title: title(names),
    facts: leadFacts(lead, contact, campaign),
    reasons: lead.reasons,
    feedback: feedback({ contactId: lead.contactId }),
  };
  return { subject: withoutControlCharacters(subject(names)), text: text(view), html: html(view) };
}

/** The facts table, in this order; a fact without a value is left out. */
function leadFacts(lead: Lead, contact: Contact, campaign: Campaign | undefined): { label: string; value: string }[] {
  const t = lead.trigger;
  const what =
    t.kind === 'click'
      ? `clicked ${t.linkUrl ?? 'a link'}${t.intent ? ` (intent ${t.intent})` : ''}`
      : t.kind === 'open'
        ? 'opened the email'
        : `${t.eventType}`;
  const facts: [string, string | undefined][] = [
    ['Name', displayName(contact)],
    ['Email', contact.email],
    ['Role', [contact.role, contact.seniority && `(${contact.seniority})`].filter(Boolean).join(' ') || undefined],
    ['Company', contact.company],
    ['Company size', contact.companySize],
    ['Industry', contact.industry],
    ['Country', [contact.country, contact.region].filter(Boolean).join(' / ') || undefined],
    ['Campaign', campaign ? `${campaign.name} (${campaign.campaignId})` : (lead.campaignId ?? 'none (engagement posted through the API)')],
    [t.kind === 'click' ? 'Clicked' : 'Trigger', `${what} at ${t.at ?? t.clickedAt}`],
    [
      'Scores',
      `fit ${lead.fit?.score ?? 0} (threshold ${lead.fit?.threshold ?? 0}), engagement ${lead.engagement?.score ?? 0} (threshold ${lead.engagement?.threshold ?? 0})`,
    ],
    ['Criteria', `${lead.criteriaId ?? lead.profileId} v${lead.criteriaVersion ?? lead.profileVersion}`],
    [
      'Routed',
      lead.routedBy === 'contact-owner' ? 'to you as the contact owner' : lead.territory ? `territory ${lead.territory}` : lead.routedBy,
    ],
    ['Lead', lead.leadId],
  ];
  return facts.flatMap(([label, value]) => (value ? [{ label, value }] : []));
}
