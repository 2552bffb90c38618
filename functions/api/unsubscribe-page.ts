/**
 * The pages of the unsubscribe link. GET never unsubscribes: mail security scanners and link
 * previewers fetch every link of a message, and a GET that unsubscribed would silently remove
 * people who never asked. GET shows a page whose button POSTs to the same URL; mailbox providers
 * use RFC 8058's one-click POST directly. The token is in the URL, so the pages send no Referer
 * and are never cached or indexed.
 */
export const unsubscribePageHeaders = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const shell = (title: string, body: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${title}</title>` +
  `<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5"><h1 style="font-size:1.4rem">${title}</h1>${body}</body></html>`;

type Page = { status: number; html: string; headers: Record<string, string> };
const page = (status: number, html: string): Page => ({ status, html, headers: unsubscribePageHeaders });

export function unsubscribeConfirmPage(): Page {
  return page(
    200,
    shell(
      'Unsubscribe from our campaign emails?',
      '<p>You will stop receiving campaign emails from us at this address.</p>' +
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">' +
        '<button type="submit" style="font-size:1rem;padding:.6rem 1.2rem">Unsubscribe</button></form>',
    ),
  );
}

export function unsubscribedPage(): Page {
  return page(200, shell('You are unsubscribed', '<p>You will not receive further campaign emails from us.</p>'));
}

export function invalidLinkPage(): Page {
  return page(
    400,
    shell(
      'This unsubscribe link is not valid',
      '<p>It may have been cut or altered. Use the link in the email you received, or reply to that email.</p>',
    ),
  );
}
