import { proxyActivities, sleep } from '@temporalio/workflow';
import type * as activities from './smoke.activities.js';

const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });

export async function greetWorkflow(name: string): Promise<string> {
  return greet(name);
}

/** Waits on a durable timer, so the test can restart the server while the timer is pending. */
export async function sleepThenGreetWorkflow(name: string, delayMs: number): Promise<string> {
  await sleep(delayMs);
  return greet(name);
}
