import createError from '@fastify/error';

/**
 * Herald's coded domain errors, like fastify's FST_ERR_* table. Every 4xx a client can see has
 * a stable code here and a sentence saying what to do; the global error handler turns them into
 * `{ statusCode, code, error, message }`.
 */
export const Errors = {
  ApiKeyMissing: createError(
    'HERALD_ERR_API_KEY_MISSING',
    'Missing API key: send it as "Authorization: Bearer <API key>".',
    401,
  ),
  ApiKeyInvalid: createError('HERALD_ERR_API_KEY_INVALID', 'The API key is not valid.', 401),
  ApiKeyRevoked: createError('HERALD_ERR_API_KEY_REVOKED', 'The API key was revoked on %s.', 401),
  TokenInvalid: createError('HERALD_ERR_TOKEN_INVALID', 'The user token is not valid: %s', 401),
  NotificationNotFound: createError(
    'HERALD_ERR_NOTIFICATION_NOT_FOUND',
    'Notification %s does not exist in this app.',
    404,
  ),
  Invalid: createError('HERALD_ERR_VALIDATION', '%s', 400),
  TargetInvalid: createError('HERALD_ERR_TARGET_INVALID', '%s', 400),
  TargetUnsupported: createError('HERALD_ERR_TARGET_UNSUPPORTED', '%s', 400),
  DataTooLarge: createError(
    'HERALD_ERR_DATA_TOO_LARGE',
    '"data" is %d bytes as JSON; at most %d bytes are allowed.',
    400,
  ),
  SendAtInvalid: createError('HERALD_ERR_SEND_AT_INVALID', '%s', 400),
  QueueUnavailable: createError(
    'HERALD_ERR_QUEUE_UNAVAILABLE',
    'The notification queue is unavailable right now; nothing was accepted. Retry with the same idempotency key.',
    503,
  ),
  IdempotencyMismatch: createError(
    'HERALD_ERR_IDEMPOTENCY_MISMATCH',
    'Idempotency key "%s" was already used for a different request in the last 24 hours; use a new key for a new notification.',
    422,
  ),
  NotCancellable: createError(
    'HERALD_ERR_NOT_CANCELLABLE',
    'Notification %s cannot be cancelled: it is %s. Only scheduled or queued notifications can be.',
    409,
  ),
  UserNotFound: createError(
    'HERALD_ERR_USER_NOT_FOUND',
    'User "%s" has never connected nor been sent anything in this app.',
    404,
  ),
  DemoDisabled: createError('HERALD_ERR_DEMO_DISABLED', 'The demo endpoints are disabled on this server.', 404),
} as const;

export type HeraldError = InstanceType<(typeof Errors)[keyof typeof Errors]>;
