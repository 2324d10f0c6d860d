/**
 * The baseline's activities: they do nothing, so the baseline measures Temporal alone (task
 * dispatch, history writes, worker round trips) for the same fan-out the clearance has.
 */
export function createBaselineActivities() {
  return {
    async review(_input: { agency: string }): Promise<{ outcome: 'APPROVED' }> {
      return { outcome: 'APPROVED' };
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
