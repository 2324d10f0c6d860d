import { loadConfig } from './runtime/config.js';
import { connectTemporal } from './runtime/temporal.js';
const client = await connectTemporal(loadConfig());
for (const q of [
  `WorkflowType = 'clearanceWorkflow' AND ExecutionStatus IN ('Failed','TimedOut','Terminated')`,
  `WorkflowType = 'clearanceWorkflow' AND (ExecutionStatus = 'Failed' OR ExecutionStatus = 'Terminated') AND CloseTime >= '2020-01-01T00:00:00Z'`,
  `WorkflowType = 'clearanceWorkflow' AND ExecutionStatus = 'Failed' AND FailedAgency = 'HEALTH'`,
]) {
  let n = 0; let first: unknown;
  try {
    for await (const w of client.workflow.list({ query: q })) { if (!first) first = { id: w.workflowId, tq: w.taskQueue, st: w.status.name, close: w.closeTime, sa: w.typedSearchAttributes }; if (++n > 1000) break; }
    console.log(q, '=>', n, JSON.stringify(first));
  } catch (e) { console.log(q, 'ERR', (e as Error).message); }
}
await client.connection.close();
