import type { ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CoalescingSender } from './coalescing-sender.js';

/** A producer whose requests stay in flight until the test settles them. */
function heldProducer() {
  const requests: { batch: ProducerBatch; settle: (error?: Error) => void }[] = [];
  const producer = {
    sendBatch: (batch: ProducerBatch) =>
      new Promise<never[]>((resolve, reject) => {
        requests.push({ batch, settle: (error) => (error ? reject(error) : resolve([])) });
      }),
  };
  return { producer, requests };
}

const message = (key: string) => ({ key, value: `v-${key}` });
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('CoalescingSender', () => {
  it('sends at once when nothing is in flight', async () => {
    const { producer, requests } = heldProducer();
    const sender = new CoalescingSender(producer);
    const sent = sender.send('status', [message('a')]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.batch).toEqual({
      acks: -1,
      topicMessages: [{ topic: 'status', messages: [message('a')] }],
    });
    requests[0]!.settle();
    await expect(sent).resolves.toBeUndefined();
  });

  it('carries the sends made during a request in one next request, in order, grouped by topic', async () => {
    const { producer, requests } = heldProducer();
    const sender = new CoalescingSender(producer);
    const first = sender.send('status', [message('a')]);
    const waiting = [
      sender.send('status', [message('b')]),
      sender.send('requests', [message('c')]),
      sender.send('status', [message('d'), message('e')]),
    ];
    expect(requests).toHaveLength(1);
    requests[0]!.settle();
    await first;
    await flush();
    expect(requests).toHaveLength(2);
    expect(requests[1]!.batch.topicMessages).toEqual([
      { topic: 'status', messages: [message('b'), message('d'), message('e')] },
      { topic: 'requests', messages: [message('c')] },
    ]);
    requests[1]!.settle();
    await expect(Promise.all(waiting)).resolves.toHaveLength(3);
  });

  it('fails every send its request carried, and goes on with the next ones', async () => {
    const { producer, requests } = heldProducer();
    const sender = new CoalescingSender(producer);
    const first = sender.send('status', [message('a')]);
    const second = sender.send('status', [message('b')]);
    const third = sender.send('status', [message('c')]);
    requests[0]!.settle();
    await first;
    await flush();
    requests[1]!.settle(new Error('broker gone'));
    await expect(second).rejects.toThrow('broker gone');
    await expect(third).rejects.toThrow('broker gone');
    const fourth = sender.send('status', [message('d')]);
    await flush();
    expect(requests).toHaveLength(3);
    requests[2]!.settle();
    await expect(fourth).resolves.toBeUndefined();
  });

  it('bounds a request at 500 records; the rest go in the next', async () => {
    const { producer, requests } = heldProducer();
    const sender = new CoalescingSender(producer);
    void sender.send('status', [message('first')]);
    const many = Array.from({ length: 3 }, (_, i) =>
      sender.send(
        'status',
        Array.from({ length: 200 }, (_, j) => message(`${i}-${j}`)),
      ),
    );
    requests[0]!.settle();
    await flush();
    expect(requests[1]!.batch.topicMessages![0]!.messages).toHaveLength(400);
    requests[1]!.settle();
    await flush();
    expect(requests[2]!.batch.topicMessages![0]!.messages).toHaveLength(200);
    requests[2]!.settle();
    await expect(Promise.all(many)).resolves.toHaveLength(3);
  });
});
