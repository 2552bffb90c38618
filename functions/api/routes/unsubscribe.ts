import { z } from 'zod';
import { ValidationError } from '../../../lib/common/errors';
import { defineRoute, type Route } from '../contract';
import { invalidLinkPage, unsubscribeConfirmPage, unsubscribedPage } from '../unsubscribe-page';

/**
 * Unsubscribe (RFC 8058): the mailbox provider POSTs `List-Unsubscribe=One-Click` and that
 * unsubscribes at once; a GET (a person, or a scanner that follows every link) only shows a page
 * whose button POSTs (unsubscribe-page.ts, docs/sending.md). Both idempotent; the token is
 * HMAC-signed, so no IAM; a forged or altered token is 400 and changes nothing.
 */

const unsubscribeParams = z.object({
  token: z.string().min(1).max(512).meta({ description: 'The signed token from the List-Unsubscribe link.' }),
});

export const unsubscribeRoutes: Route[] = [
  defineRoute({
    method: 'POST',
    path: '/u/{token}',
    operationId: 'unsubscribeOneClick',
    summary: 'One-click unsubscribe (RFC 8058)',
    description: 'Unsubscribes at once and counts it once for the campaign. A browser (Accept: text/html) gets a confirmation page.',
    tags: ['unsubscribe'],
    public: true,
    params: unsubscribeParams,
    responses: {
      200: {
        description: 'Unsubscribed (or already): JSON, or a page for a browser.',
        schema: z.object({ unsubscribed: z.literal(true) }),
      },
    },
    handle: async ({ app, params, event }) => {
      const html = /text\/html/.test(event.headers?.accept ?? '');
      try {
        await app.unsubscribe(params.token);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return html ? invalidLinkPage() : { status: 400, body: { error: { code: 'INVALID_LINK', message: error.message, details: [] } } };
      }
      return html ? unsubscribedPage() : { status: 200, body: { unsubscribed: true } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/u/{token}',
    operationId: 'unsubscribePage',
    summary: 'The page of an unsubscribe link: a button that POSTs (a GET never unsubscribes)',
    tags: ['unsubscribe'],
    public: true,
    params: unsubscribeParams,
    responses: { 200: { description: 'The confirmation page, or "You are unsubscribed" when done already.', html: true } },
    handle: async ({ app, params }) => {
      try {
        const { unsubscribed } = await app.unsubscribeStatus(params.token);
        return unsubscribed ? unsubscribedPage() : unsubscribeConfirmPage();
      } catch (error) {
        if (error instanceof ValidationError) return invalidLinkPage();
        throw error;
      }
    },
  }),
];
