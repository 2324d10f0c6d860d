import { setHandler } from '@temporalio/workflow';
import { decisionRefusal } from '../domain/clearance-state.js';
import type { ClearanceRun } from './clearance-run.js';
import { historyFull } from './continue-as-new.js';
import {
  agencyViewQuery,
  amendUpdate,
  decideUpdate,
  duplicateSignal,
  rejectedInputSignal,
  statusQuery,
  withdrawUpdate,
  type DecisionCommand,
} from './messages.js';
import {
  assertDecisionShape,
  assertIdsMatch,
  continuingAsNew,
  refuse,
  unknownAgency,
} from './update-guards.js';

/** Wires the clearance's queries, updates and signals to its run: each message is one reducer command. */
export function wireHandlers(run: ClearanceRun): void {
  const { declarationId } = run.input.declaration;
  setHandler(statusQuery, () => run.snapshot());
  setHandler(agencyViewQuery, (agency: string) => run.agencyAnswer(agency));
  setHandler(
    decideUpdate,
    ({ decision, signer }) => run.ack(run.handle({ kind: 'officer-decision', decision, signer })),
    {
      validator: ({ decision }: DecisionCommand) => validateDecision(run, decision),
    },
  );
  setHandler(
    amendUpdate,
    ({ amendment, receivedAt, signer }) =>
      run.ack(run.handle({ kind: 'amendment', amendment, receivedAt, signer })),
    {
      validator: ({ amendment }) => {
        assertIdsMatch(amendment, declarationId, 'amendmentId');
        // Past the size at which the history is to be cut, new amendments wait (the sender
        // retries), so that the run reaches a quiet moment and continues as new.
        if (!run.record.applied.has(amendment.amendmentId) && historyFull(run.input)) continuingAsNew();
      },
    },
  );
  setHandler(
    withdrawUpdate,
    ({ withdrawal, receivedAt, source, signer }) =>
      run.ack(run.handle({ kind: 'withdrawal', withdrawal, receivedAt, source, signer })),
    { validator: ({ withdrawal }) => assertIdsMatch(withdrawal, declarationId) },
  );
  setHandler(
    duplicateSignal,
    ({ receivedAt, source }) => void run.handle({ kind: 'duplicate', receivedAt, source }),
  );
  setHandler(rejectedInputSignal, (notice) => {
    const { kind: inputKind, receivedAt, source, messages, code } = notice;
    run.handle({ kind: 'rejected-input', inputKind, receivedAt, source, messages, code });
  });
}

function validateDecision(run: ClearanceRun, decision: DecisionCommand['decision']): void {
  assertDecisionShape(decision, run.input.declaration.declarationId);
  if (run.record.applied.has(decision.decisionId)) return; // a repeat is accepted as a no-op
  if (!run.policies[decision.agency]) unknownAgency(decision.agency);
  const refusal = decisionRefusal(run.state, decision.agency);
  if (refusal) refuse(refusal);
}
