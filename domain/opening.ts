import type { Declaration, Registry, StatusEvent } from '../schemas/types.js';
import {
  initialState,
  statusEvent,
  type AgencyPolicy,
  type ClearanceState,
  type Transition,
} from './clearance-state.js';
import { route } from './routing.js';

// How a clearance opens. The workflow computes this, and so does intake, which publishes the
// opening status events itself (see `ClearanceInput.openingPublished`): both must agree exactly.

export type AgencyPolicies = Record<string, AgencyPolicy & { adapter: string }>;

export function agencyPolicies(registry: Registry): AgencyPolicies {
  return Object.fromEntries(
    registry.agencies.map((a) => [
      a.code,
      { mode: a.mode, deadline: a.deadline, deadlinePolicy: a.deadlinePolicy, adapter: a.adapter },
    ]),
  );
}

/** Throws when the registry routes to an agency it does not define. */
export function openingTransition(declaration: Declaration, registry: Registry): Transition {
  return initialState(declaration, route(declaration, registry), agencyPolicies(registry));
}

/**
 * RECEIVED, then the status the routing opens with (IN_REVIEW), numbered right above the base.
 * The second one is the last event the workflow knows of when it starts from them.
 */
export function openingEvents(
  state: ClearanceState,
  sequenceBase: number,
): [Omit<StatusEvent, 'at'>, Omit<StatusEvent, 'at'>] {
  return [
    { ...statusEvent(state, sequenceBase + 1, []), status: 'RECEIVED' },
    statusEvent(state, sequenceBase + 2, []),
  ];
}
