/**
 * The pipeline's own links: the unsubscribe page (and any page served under its base URL, such as
 * preferences). They are how a person leaves, not interest, so they are never tracked by SES
 * (`ses:no-track`, added at compose time) and never counted as clicks when SES reports one anyway
 * (a message sent before the attribute existed, a template that slipped past it).
 */

/** Whether `url` is under `baseUrl`: same scheme and host, and a path at or below the base's path. Query and fragment are ignored. */
export function isUnderBaseUrl(url: string, baseUrl: string): boolean {
  let link: URL;
  let base: URL;
  try {
    link = new URL(url);
    base = new URL(baseUrl);
  } catch {
    return false;
  }
  if (link.protocol !== base.protocol || link.host !== base.host) return false;
  const basePath = base.pathname.replace(/\/+$/, '');
  return link.pathname === basePath || link.pathname.startsWith(`${basePath}/`);
}

/** A predicate recognising the pipeline's own links from the configured unsubscribe base URL. */
export function pipelineLinks(unsubscribeBaseUrl: string): (url: string) => boolean {
  return (url) => isUnderBaseUrl(url, unsubscribeBaseUrl);
}
