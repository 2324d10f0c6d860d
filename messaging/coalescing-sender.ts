import type { Message, Producer, TopicMessages } from 'kafkajs';

interface PendingSend {
  topic: string;
  messages: Message[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** A bound on one produce request, far below the broker's request size limit for our small events. */
const MAX_MESSAGES_PER_REQUEST = 500;

/**
 * Many clearances publish a status event at nearly the same moment, each from its own activity.
 * A produce request costs about the same for one small record as for fifty, on the client and on
 * the broker. So while one request is in flight, later sends wait and then go out together in the
 * next: one request under light load, as few as the broker's round trip allows under heavy load,
 * and never an added delay. Each caller's promise settles with the request that carried its
 * records, so a failure is retried by its caller (an activity retry), and success means acks=-1.
 */
export class CoalescingSender {
  private queue: PendingSend[] = [];
  private sending = false;

  constructor(private readonly producer: Pick<Producer, 'sendBatch'>) {}

  send(topic: string, messages: Message[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, messages, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.sending || this.queue.length === 0) return;
    const batch = this.take();
    this.sending = true;
    void this.producer
      .sendBatch({ acks: -1, topicMessages: byTopic(batch) })
      .then(
        () => batch.forEach((pending) => pending.resolve()),
        (error: unknown) => batch.forEach((pending) => pending.reject(error)),
      )
      .finally(() => {
        this.sending = false;
        this.next();
      });
  }

  /** The oldest sends, up to the request bound (a single larger send still goes whole). */
  private take(): PendingSend[] {
    let count = 0;
    let taken = 0;
    while (taken < this.queue.length) {
      count += this.queue[taken]!.messages.length;
      if (taken > 0 && count > MAX_MESSAGES_PER_REQUEST) break;
      taken++;
    }
    return this.queue.splice(0, taken);
  }
}

function byTopic(batch: PendingSend[]): TopicMessages[] {
  const topics = new Map<string, Message[]>();
  for (const { topic, messages } of batch) {
    const list = topics.get(topic);
    if (list) list.push(...messages);
    else topics.set(topic, [...messages]);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}
