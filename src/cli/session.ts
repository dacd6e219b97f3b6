/**
 * Running a command against a broker: connect with the command's client options, run, and
 * close the client whatever happens.
 */
import { KafkaClient } from '../client/client.js';
import type { ClientOptions } from './args.js';

export async function withClient<T>(options: ClientOptions, fn: (client: KafkaClient) => Promise<T>, extra: { allowAutoTopicCreation?: boolean } = {}): Promise<T> {
  const client = new KafkaClient({
    bootstrap: options.bootstrap,
    clientId: 'strand-cli',
    connectTimeoutMs: Math.min(options.timeout, 10_000),
    requestTimeoutMs: options.timeout,
    allowAutoTopicCreation: extra.allowAutoTopicCreation ?? false,
  });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Write to stdout, waiting when the pipe is full. */
export function writeOut(text: string | Buffer): Promise<void> | undefined {
  if (process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}
