/**
 * Running a command against a broker: connect with the command's client options, run, and
 * close the client whatever happens.
 */
import { KafkaClient } from '../client/client.js';
import { KafkaResponseError } from '../client/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ClientOptions } from './args.js';
import { readCommandConfig } from './command-config.js';

export async function withClient<T>(options: ClientOptions, fn: (client: KafkaClient) => Promise<T>, extra: { allowAutoTopicCreation?: boolean } = {}): Promise<T> {
  const client = new KafkaClient({
    bootstrap: options.bootstrap,
    clientId: 'strand-cli',
    connectTimeoutMs: Math.min(options.timeout, 10_000),
    requestTimeoutMs: options.timeout,
    allowAutoTopicCreation: extra.allowAutoTopicCreation ?? false,
    ...readCommandConfig(options.commandConfig),
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

/** The error for a topic that does not exist, with where to look. */
export function unknownTopicError(topic: string): KafkaResponseError {
  return new KafkaResponseError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, { api: 'Metadata', topic }, `topic ${topic} does not exist; see \`strand topics list\``);
}
