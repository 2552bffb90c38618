import type { Route } from '../contract';
import { campaignRoutes } from './campaigns';
import { contactComponentSchemas, contactRoutes } from './contacts';
import { criteriaRoutes } from './criteria';
import { criteriaReviewRoutes } from './criteria-review';
import { engagementEventRoutes } from './engagement-events';
import { leadExplanationRoutes } from './lead-explanation';
import { leadRoutes } from './leads';
import { metaRoutes } from './meta';
import { profileRoutes } from './profiles';
import { reportRoutes } from './reports';
import { routingRoutes } from './routing';
import { unsubscribeRoutes } from './unsubscribe';

/**
 * The route table: every route of the HTTP API, with the schemas that validate its requests and
 * document it (`GET /openapi.json`, docs/openapi.json). Adding a route is adding one entry to its
 * resource's file: its handler parses nothing itself, calls one use case and says what to answer.
 * The order is the document's, and the router's: the first route whose path matches is taken.
 */
export const routes: Route[] = [
  ...metaRoutes,
  ...contactRoutes,
  ...profileRoutes,
  ...campaignRoutes,
  ...reportRoutes,
  // Qualification (docs/qualification.md): criteria drafts and immutable versions, backtests,
  // engagement events from outside email, sales feedback, MQL → SQL rates, routing.
  ...criteriaRoutes,
  ...criteriaReviewRoutes,
  ...engagementEventRoutes,
  ...leadRoutes,
  ...leadExplanationRoutes,
  ...routingRoutes,
  ...unsubscribeRoutes,
];

/** Schemas the document lists under components although no route refers to them directly. */
export const componentSchemas = { ...contactComponentSchemas };
