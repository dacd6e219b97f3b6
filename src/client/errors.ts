/**
 * Errors of the client: a broker answered with a Kafka error code (`KafkaResponseError`), a
 * broker could not be reached or dropped the connection (`ConnectionError`), a request got no
 * answer in time (`RequestTimeoutError`), or neither side speaks a version of an API the other
 * knows (`UnsupportedApiError`).
 */
import { type KafkaErrorCode, StrandError } from '../errors.js';
import { ErrorCode, errorName, RETRIABLE_ERRORS } from '../protocol/error-codes.js';

/** Where in a response an error code was found: the API, and the topic/partition or resource. */
export interface ErrorPath {
  /** API name, e.g. `Produce`, `CreateTopics`. */
  api: string;
  topic?: string;
  partition?: number;
  /** Config resource or other entity the error concerns (`topic:orders`, `broker:0`). */
  resource?: string;
}

function describePath(path: ErrorPath): string {
  let where = path.api;
  if (path.topic !== undefined) where += ` ${path.topic}${path.partition !== undefined ? `-${path.partition}` : ''}`;
  if (path.resource !== undefined) where += ` ${path.resource}`;
  return where;
}

/** A broker answered a request (or one partition or resource of it) with a non-zero error code. */
export class KafkaResponseError extends StrandError {
  /** The Kafka error code, e.g. 3 for UNKNOWN_TOPIC_OR_PARTITION. */
  readonly errorCode: number;
  /** The code's name, e.g. `UNKNOWN_TOPIC_OR_PARTITION` (`ERROR_<n>` when unknown). */
  readonly errorName: string;
  /** The broker's own message, when it sent one. */
  readonly brokerMessage: string | null;
  readonly path: ErrorPath;

  constructor(errorCode: number, path: ErrorPath, brokerMessage: string | null = null) {
    const name = errorName(errorCode) ?? `ERROR_${errorCode}`;
    super(
      `${describePath(path)}: ${name} (${errorCode})${brokerMessage ? `: ${brokerMessage}` : ''}`,
      'ERR_STRAND_KAFKA_RESPONSE',
      errorCode as KafkaErrorCode,
    );
    this.errorCode = errorCode;
    this.errorName = name;
    this.brokerMessage = brokerMessage;
    this.path = path;
  }

  /** Whether a client may retry (Kafka's RetriableException codes). */
  get retriable(): boolean {
    return RETRIABLE_ERRORS.has(this.errorCode);
  }

  /** Throws a KafkaResponseError unless `errorCode` is 0. */
  static check(errorCode: number, path: ErrorPath, brokerMessage?: string | null): void {
    if (errorCode !== ErrorCode.NONE) throw new KafkaResponseError(errorCode, path, brokerMessage ?? null);
  }

  /** A KafkaResponseError for a non-zero `errorCode`, else null. */
  static of(errorCode: number, path: ErrorPath, brokerMessage?: string | null): KafkaResponseError | null {
    return errorCode === ErrorCode.NONE ? null : new KafkaResponseError(errorCode, path, brokerMessage ?? null);
  }
}

/** A broker could not be reached, or its connection broke with requests in flight. */
export class ConnectionError extends StrandError {
  /** The system error code when there is one (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, ...). */
  readonly syscallCode: string | undefined;
  /** True when the connection could not be opened at all (nothing was sent). */
  readonly duringConnect: boolean;

  constructor(
    readonly host: string,
    readonly port: number,
    message: string,
    options?: ErrorOptions & { syscallCode?: string; duringConnect?: boolean },
  ) {
    super(message, 'ERR_STRAND_CONNECTION', ErrorCode.NETWORK_EXCEPTION as KafkaErrorCode, options);
    this.syscallCode = options?.syscallCode;
    this.duringConnect = options?.duringConnect ?? false;
  }

  get address(): string {
    return formatAddress(this.host, this.port);
  }
}

/** No response arrived within the request timeout; the connection is closed. */
export class RequestTimeoutError extends StrandError {
  constructor(readonly api: string, readonly address: string, readonly timeoutMs: number) {
    super(`${api} request to ${address} got no response within ${timeoutMs} ms`, 'ERR_STRAND_REQUEST_TIMEOUT', ErrorCode.REQUEST_TIMED_OUT as KafkaErrorCode);
  }
}

/** The broker does not support any version of an API that this client can send. */
export class UnsupportedApiError extends StrandError {
  constructor(readonly api: string, readonly address: string, detail: string) {
    super(`${address} does not support ${api} (${detail})`, 'ERR_STRAND_UNSUPPORTED_API', ErrorCode.UNSUPPORTED_VERSION as KafkaErrorCode);
  }
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The broker did not accept this client (Kafka's AuthenticationException): its credentials, its
 * mechanism, or its TLS peer. Not retriable as such: retrying with the same credentials fails
 * the same way, so connections back off (see Connection.connect).
 */
export class AuthenticationError extends StrandError {
  constructor(
    readonly address: string,
    /** The SASL mechanism, or `SSL` for a TLS handshake. */
    readonly mechanism: string,
    message: string,
    code: string,
    kafkaCode: KafkaErrorCode,
    options?: ErrorOptions,
  ) {
    super(message, code, kafkaCode, options);
  }
}

/** A SASL exchange failed: the broker refused the credentials or the mechanism, or could not prove it holds the credential. */
export class SaslAuthenticationError extends AuthenticationError {
  constructor(
    address: string,
    mechanism: string,
    /** The broker's error code (SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE), or 0 when the client refused the broker. */
    readonly errorCode: number,
    /** What the broker said, when it said something. */
    readonly brokerMessage: string | null,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(address, mechanism, `SASL ${mechanism} authentication with ${address} failed: ${detail}`, 'ERR_STRAND_SASL_AUTHENTICATION', (errorCode || ErrorCode.SASL_AUTHENTICATION_FAILED) as KafkaErrorCode, options);
  }
}

/** The TLS handshake failed: an untrusted or misnamed broker certificate, or a client certificate the broker refused. */
export class SslAuthenticationError extends AuthenticationError {
  constructor(address: string, detail: string, options?: ErrorOptions) {
    super(address, 'SSL', `TLS handshake with ${address} failed: ${detail}`, 'ERR_STRAND_SSL_AUTHENTICATION', ErrorCode.NETWORK_EXCEPTION as KafkaErrorCode, options);
  }
}
