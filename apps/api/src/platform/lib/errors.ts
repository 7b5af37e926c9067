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
  ApiKeyGuessing: createError(
    'HERALD_ERR_RATE_LIMITED',
    'Too many API keys that do not exist were tried from this address; try again in %d seconds.',
    429,
  ),
  ApiKeyRevoked: createError('HERALD_ERR_API_KEY_REVOKED', 'The API key was revoked on %s.', 401),
  TokenInvalid: createError('HERALD_ERR_TOKEN_INVALID', 'The user token is not valid: %s', 401),
  TokenTtlTooLong: createError(
    'HERALD_ERR_TOKEN_TTL_TOO_LONG',
    '"ttlSeconds" is %d, but tokens may live at most %d seconds on this server (HERALD_MAX_TOKEN_LIFETIME_SECONDS).',
    400,
  ),
  NotificationNotFound: createError(
    'HERALD_ERR_NOTIFICATION_NOT_FOUND',
    'Notification %s does not exist in this app.',
    404,
  ),
  Invalid: createError('HERALD_ERR_VALIDATION', '%s', 400),
  MalformedJson: createError('HERALD_ERR_MALFORMED_JSON', 'The request body is not valid JSON: %s.', 400),
  JsonTooDeep: createError(
    'HERALD_ERR_JSON_TOO_DEEP',
    'The JSON body nests arrays and objects more than %d levels deep; send a flatter document.',
    400,
  ),
  HostForbidden: createError(
    'HERALD_ERR_HOST_FORBIDDEN',
    'This Herald listens on a loopback address and answers only to localhost, 127.0.0.1 or [::1], not to "%s"; set HERALD_PUBLIC_URL to serve it under another name.',
    403,
  ),
  ContentEncoding: createError(
    'HERALD_ERR_CONTENT_ENCODING',
    'Request bodies are taken uncompressed, not with "Content-Encoding: %s"; send the JSON as it is.',
    415,
  ),
  BodyNotUtf8: createError(
    'HERALD_ERR_BODY_NOT_UTF8',
    'The request body is not valid UTF-8; send JSON text encoded as UTF-8.',
    400,
  ),
  ForbiddenKey: createError(
    'HERALD_ERR_FORBIDDEN_KEY',
    'The request body has a "__proto__" or "constructor.prototype" key, which Herald refuses; rename it.',
    400,
  ),
  CursorInvalid: createError(
    'HERALD_ERR_CURSOR_INVALID',
    "The cursor is not one this list returned; pass the previous page's nextCursor unchanged.",
    400,
  ),
  TargetInvalid: createError('HERALD_ERR_TARGET_INVALID', '%s', 400),
  TargetUnsupported: createError('HERALD_ERR_TARGET_UNSUPPORTED', '%s', 400),
  DataTooLarge: createError(
    'HERALD_ERR_DATA_TOO_LARGE',
    '"data" is %d bytes as JSON; at most %d bytes are allowed.',
    400,
  ),
  SendAtInvalid: createError('HERALD_ERR_SEND_AT_INVALID', '%s', 400),
  UrlInvalid: createError('HERALD_ERR_URL_INVALID', '%s', 400),
  QueueUnavailable: createError(
    'HERALD_ERR_QUEUE_UNAVAILABLE',
    'The notification queue is unavailable right now; nothing was accepted. Retry with the same idempotency key.',
    503,
  ),
  ShuttingDown: createError(
    'HERALD_ERR_SHUTTING_DOWN',
    'This Herald node is shutting down and takes no new requests; nothing was accepted. Retry in a moment (another node, or this one once it is back).',
    503,
  ),
  DatabaseUnavailable: createError(
    'HERALD_ERR_DATABASE_UNAVAILABLE',
    'The database is not answering right now; try again in a moment (a send retried with the same idempotency key is never stored twice).',
    503,
  ),
  RedisUnavailable: createError(
    'HERALD_ERR_REDIS_UNAVAILABLE',
    'Redis, which keeps the queue and the live counters, is not answering right now; try again in a moment.',
    503,
  ),
  IdempotencyKeysDiffer: createError(
    'HERALD_ERR_VALIDATION',
    'The Idempotency-Key header says "%s" and the body\'s idempotencyKey "%s": give one of them, or the same in both.',
    400,
  ),
  IdempotencyMismatch: createError(
    'HERALD_ERR_IDEMPOTENCY_MISMATCH',
    'Idempotency key "%s" was already used for a different request in the last 24 hours; use a new key for a new notification.',
    422,
  ),
  ConfirmationRequired: createError(
    'HERALD_ERR_CONFIRMATION_REQUIRED',
    'This send reaches %d users, more than the %d a dashboard send may reach without confirming; send it again with "confirmRecipients": %d.',
    409,
  ),
  NotCancellable: createError('HERALD_ERR_NOT_CANCELLABLE', 'Notification %s cannot be cancelled: %s.', 409),
  UserNotFound: createError(
    'HERALD_ERR_USER_NOT_FOUND',
    'User "%s" has never connected nor been sent anything in this app.',
    404,
  ),
  TopicNotFound: createError(
    'HERALD_ERR_TOPIC_NOT_FOUND',
    'Topic "%s" does not exist in this app; subscribing a user to it creates it.',
    404,
  ),
  CategoryNotFound: createError(
    'HERALD_ERR_CATEGORY_NOT_FOUND',
    'Category "%s" does not exist in this app; define it first (PUT /v1/categories/{category}, or the dashboard).',
    404,
  ),
  CategoryRequired: createError(
    'HERALD_ERR_CATEGORY_REQUIRED',
    'Category "%s" is required by the app: it cannot be turned off (choose "popup" or "inbox").',
    400,
  ),
  TopicExists: createError(
    'HERALD_ERR_TOPIC_EXISTS',
    'Topic "%s" already exists in this app; change it instead (this request asked to create it only: If-None-Match: *).',
    412,
  ),
  CategoryExists: createError(
    'HERALD_ERR_CATEGORY_EXISTS',
    'Category "%s" already exists in this app; edit it instead (this request asked to create it only: If-None-Match: *).',
    412,
  ),
  CategoryLimit: createError(
    'HERALD_ERR_CATEGORY_LIMIT',
    'This app has %d categories, the most it may have; delete one before adding another.',
    409,
  ),
  PreferencesTooLarge: createError(
    'HERALD_ERR_PREFERENCES_TOO_LARGE',
    'These preferences would hold more than %s KB of choices; forget some (set them to null) first.',
    400,
  ),
  TopicChanged: createError(
    'HERALD_ERR_TOPIC_CHANGED',
    'Topic "%s" was deleted again and again while these users were being added; send the request again.',
    409,
  ),
  AdminSignInRequired: createError('HERALD_ERR_SIGN_IN_REQUIRED', 'Sign in to the dashboard first.', 401),
  AdminSignInFailed: createError('HERALD_ERR_SIGN_IN_FAILED', 'The email or password is wrong.', 401),
  SignInThrottled: createError(
    'HERALD_ERR_RATE_LIMITED',
    'Too many sign-in attempts from this address for this email; try again in %d minutes.',
    429,
  ),
  SignInAddressThrottled: createError(
    'HERALD_ERR_RATE_LIMITED',
    'Too many failed sign-ins from this address; try again in %d minutes.',
    429,
  ),
  ReceiptInvalid: createError('HERALD_ERR_RECEIPT_INVALID', 'This push receipt is not valid (%s).', 400),
  RenewInvalid: createError('HERALD_ERR_RENEW_INVALID', '%s', 400),
  PushEndpoint: createError('HERALD_ERR_PUSH_ENDPOINT', '%s', 400),
  /** REST rate limits (platform/http/rate-limits.ts); the socket gateway answers with the same code. */
  RateLimited: createError('HERALD_ERR_RATE_LIMITED', '%s', 429),
  PasswordChecksBusy: createError(
    'HERALD_ERR_SIGN_IN_BUSY',
    'Too many passwords are being checked right now; try again in a moment.',
    503,
  ),
  SignInUnavailable: createError(
    'HERALD_ERR_SIGN_IN_UNAVAILABLE',
    'Sign-in is unavailable right now: the server cannot count sign-in attempts while Redis does not answer. Try again in a minute.',
    503,
  ),
  CrossOrigin: createError(
    'HERALD_ERR_CSRF',
    'Refused: %s, and only the dashboard itself may change things through the admin API.',
    403,
  ),
  AdminForbidden: createError('HERALD_ERR_FORBIDDEN', 'Your role (%s) cannot do this; it needs the %s role.', 403),
  AppNotFound: createError('HERALD_ERR_APP_NOT_FOUND', 'App %s does not exist.', 404),
  AppExists: createError('HERALD_ERR_APP_EXISTS', 'An app with id %s already exists.', 409),
  DefaultApp: createError(
    'HERALD_ERR_APP_DEFAULT',
    'The default app cannot be deleted: every start makes it again, for the API key of HERALD_API_KEY or the data directory.',
    409,
  ),
  KeyNotFound: createError('HERALD_ERR_KEY_NOT_FOUND', 'API key %s does not exist.', 404),
  AdminExists: createError('HERALD_ERR_ADMIN_EXISTS', 'An admin with email %s already exists.', 409),
  AdminNotFound: createError('HERALD_ERR_ADMIN_NOT_FOUND', 'Admin %s does not exist.', 404),
  LastOwner: createError('HERALD_ERR_LAST_OWNER', 'The last owner cannot be removed or demoted.', 409),
  JobConflict: createError('HERALD_ERR_JOB_STATE', 'Job %s is %s, so it cannot be %s now.', 409),
  JobNotFound: createError('HERALD_ERR_JOB_NOT_FOUND', 'Job %s is not in the queue.', 404),
  SubscriberNotFound: createError('HERALD_ERR_SUBSCRIBER_NOT_FOUND', 'Subscriber %s does not exist.', 404),
  DemoDisabled: createError('HERALD_ERR_DEMO_DISABLED', 'The demo endpoints are disabled on this server.', 404),
} as const;

export type HeraldError = InstanceType<(typeof Errors)[keyof typeof Errors]>;

/**
 * For reads that only Redis can answer (dashboard counters, queue pages): a Redis that is down or
 * does not answer in time becomes a 503 with a code and a sentence, never a 500.
 */
export async function fromRedis<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw new Errors.RedisUnavailable({ cause: error });
  }
}
