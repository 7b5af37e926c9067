// Generated from docs/openapi.json by scripts/api-types.mjs (npm run api-types -w @herald/dashboard).
// Do not edit: change the API, then regenerate.

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process is up */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ok";
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness: the database and Redis answer
         * @description Answers within 1.5 s: a dependency that does not answer by then counts as down (503).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            status: string;
                            checks: {
                                database: {
                                    ok: boolean;
                                    error?: string;
                                };
                                redis: {
                                    ok: boolean;
                                    error?: string;
                                };
                            };
                        };
                    };
                };
                /** @description Not ready: a dependency is down (its checks), or the node is shutting down (HERALD_ERR_SHUTTING_DOWN) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            status: string;
                            checks: {
                                database: {
                                    ok: boolean;
                                    error?: string;
                                };
                                redis: {
                                    ok: boolean;
                                    error?: string;
                                };
                            };
                        } | components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/push/receipts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Report what happened to a pushed notification (service worker)
         * @description Herald's service worker posts this when it shows a pushed notification, when it is clicked and when it is closed. `receipt` comes with the push; it names the notification and the browser and expires with the notification. The user's delivery moves forward as for a report from a tab. At most 300 receipts a minute per browser, and 600 a minute per address for receipts Herald did not sign.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The `receipt` of the push message */
                        receipt: string;
                        /**
                         * @description What happened to the notification in this browser
                         * @enum {unknown}
                         */
                        event: "displayed" | "clicked" | "closed";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        /**
         * CORS preflight for /push/receipts
         * @description Any origin may post here (the body carries a token Herald signed); answered with no body.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/push/renew": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Replace a browser's push subscription (service worker, pushsubscriptionchange)
         * @description The browser replaced its push subscription; its service worker sends the new one with the renewal token `push:subscribe` gave. The new subscription takes the old one's place (same user); the reply is the token to keep for the next change.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The token `push:subscribe` answered with */
                        renew: string;
                        subscription: {
                            endpoint: string;
                            keys: {
                                p256dh: string;
                                auth: string;
                            };
                            expirationTime?: null | number;
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            renew: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        /**
         * CORS preflight for /push/renew
         * @description Any origin may post here (the body carries a token Herald signed); answered with no body.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a notification
         * @description Stores the notification, queues it, and answers 202 at once; delivery to every open tab of each recipient follows. A repeated idempotency key (body or `Idempotency-Key` header, 24 h) returns the original notification instead of creating another. A 202 means it is stored and will be sent; with `queueDelayed: true` Redis did not take its job in time and the housekeeping sweep queues it (do not send it again). A 503 `HERALD_ERR_QUEUE_UNAVAILABLE` means nothing was stored: retry it. A send to a topic that does not exist is a 404 `HERALD_ERR_TOPIC_NOT_FOUND`; `recipients` of a topic send or broadcast counts its users when it is accepted.
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    "idempotency-key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    /**
                     * @example {
                     *       "to": {
                     *         "userId": "alice"
                     *       },
                     *       "title": "Your order shipped",
                     *       "body": "Track it",
                     *       "url": "https://shop.example/orders/1"
                     *     }
                     */
                    "application/json": {
                        /** @description Exactly one of { userId }, { userIds: [...] }, { topic }, { topics: [...] } or { broadcast: true }. A topic send reaches the users in the topic when it is accepted (the topic must exist: 404 HERALD_ERR_TOPIC_NOT_FOUND); a broadcast, every user the app knows at that moment. */
                        to: {
                            /** @description The integrator's user id */
                            userId?: string;
                            /** @description Up to 10,000 entries; a user named twice is one recipient */
                            userIds?: string[];
                            /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                            topic?: string;
                            /** @description Up to 10 topics: a user in several of them gets the notification once; a topic named twice counts once, where it is first named */
                            topics?: string[];
                            /** @enum {boolean} */
                            broadcast?: true;
                        };
                        title: string;
                        body?: string;
                        /** @description An absolute http(s) URL, or a path on the page's own origin: one "/" followed by anything but "/" or "\" (no spaces, control characters, backslashes or credentials; 400 `HERALD_ERR_URL_INVALID` otherwise). An app may restrict click URLs to its allowed origins. */
                        icon?: string;
                        /** @description An absolute http(s) URL, or a path on the page's own origin: one "/" followed by anything but "/" or "\" (no spaces, control characters, backslashes or credentials; 400 `HERALD_ERR_URL_INVALID` otherwise). An app may restrict click URLs to its allowed origins. */
                        image?: string;
                        /** @description An absolute http(s) URL, or a path on the page's own origin: one "/" followed by anything but "/" or "\" (no spaces, control characters, backslashes or credentials; 400 `HERALD_ERR_URL_INVALID` otherwise). An app may restrict click URLs to its allowed origins. */
                        url?: string;
                        tag?: string;
                        /** @description Small JSON value handed to the page: at most 4 KB, and the whole request nests at most 64 deep */
                        data?: unknown;
                        /** @enum {unknown} */
                        priority?: "low" | "normal" | "high";
                        /** @description One of the app's categories (`PUT /v1/categories/{category}`): each user's preferences for it apply — popup, inbox only, or off (skipped, with the reason in the recipient list) */
                        category?: string;
                        ttlSeconds?: number;
                        /**
                         * Format: date-time
                         * @description At most a year ahead (the same date and time next year); one already past sends now
                         */
                        sendAt?: string;
                        idempotencyKey?: string;
                    };
                };
            };
            responses: {
                /** @description Accepted: stored and queued (for a repeated idempotency key, the original one) */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: uuid */
                            id: string;
                            /**
                             * @description The send's status, not a recipient's: `scheduled` (waiting for its `sendAt`), `queued` (for a worker), `processing` (being sent), `dispatched` (it went out to every recipient's open devices: who had it is in its counts), `cancelled`, `failed` (after its last attempt) or `expired` (its ttl ran out before it went out)
                             * @enum {unknown}
                             */
                            status: "queued" | "scheduled" | "processing" | "dispatched" | "cancelled" | "failed" | "expired";
                            /** @description Number of users targeted */
                            recipients: number;
                            /**
                             * @description Present when the notification is stored (so accepted: it will be sent) but the queue in Redis did not take it in time; the housekeeping sweep queues it once Redis answers, so it may arrive late. Do not send it again (a retry with the same idempotency key returns this notification).
                             * @enum {boolean}
                             */
                            queueDelayed?: true;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The idempotency key was used for a different request in the last 24 hours */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Redis, the queue or the database is unavailable; `code` says which, and whether anything was stored */
                503: {
                    headers: {
                        /** @description Seconds to wait before retrying, where one is known */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/notifications/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send many notifications in one request
         * @description Up to 500 notifications, stored with one INSERT and queued with one Redis round trip. The response has one result per item, in order: the accepted notification (with `queueDelayed: true` if Redis did not take it in time), or the error that refused that item alone (an item that does not match the schema of POST /v1/notifications included). Only a malformed envelope (not `{ "notifications": [ 1 to 500 objects ] }`) is refused as a whole, with a 400; a 503 means no item was stored, and so does a 404 (`HERALD_ERR_APP_NOT_FOUND`: the app was deleted while the batch was on its way). A batch counts as one request against the API key's send rate limit, and each recipient its items name against its recipients-per-second budget (over it, a 429 and nothing is stored).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    /**
                     * @example {
                     *       "notifications": [
                     *         {
                     *           "to": {
                     *             "userId": "alice"
                     *           },
                     *           "title": "Your order shipped",
                     *           "body": "Track it",
                     *           "url": "https://shop.example/orders/1"
                     *         },
                     *         {
                     *           "to": {
                     *             "userIds": [
                     *               "bob",
                     *               "carol"
                     *             ]
                     *           },
                     *           "title": "Sale starts now"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        notifications: {
                            [key: string]: unknown;
                        }[];
                    };
                };
            };
            responses: {
                /** @description Each item accepted or refused on its own */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description How many items were accepted (or replayed) */
                            accepted: number;
                            results: ({
                                /** Format: uuid */
                                id: string;
                                /**
                                 * @description The send's status, not a recipient's: `scheduled` (waiting for its `sendAt`), `queued` (for a worker), `processing` (being sent), `dispatched` (it went out to every recipient's open devices: who had it is in its counts), `cancelled`, `failed` (after its last attempt) or `expired` (its ttl ran out before it went out)
                                 * @enum {unknown}
                                 */
                                status: "queued" | "scheduled" | "processing" | "dispatched" | "cancelled" | "failed" | "expired";
                                /** @description Number of users targeted */
                                recipients: number;
                                /**
                                 * @description Present when the notification is stored (so accepted: it will be sent) but the queue in Redis did not take it in time; the housekeeping sweep queues it once Redis answers, so it may arrive late. Do not send it again (a retry with the same idempotency key returns this notification).
                                 * @enum {boolean}
                                 */
                                queueDelayed?: true;
                            } | {
                                error: {
                                    statusCode: number;
                                    /** @description Stable machine-readable code, HERALD_ERR_* */
                                    code: string;
                                    /** @description What is wrong with this item, in a sentence */
                                    message: string;
                                    /** @description Per-field problems, for validation errors (paths start at notifications[<index>]) */
                                    details?: {
                                        path: string;
                                        message: string;
                                    }[];
                                };
                            })[];
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Redis, the queue or the database is unavailable; `code` says which, and whether anything was stored */
                503: {
                    headers: {
                        /** @description Seconds to wait before retrying, where one is known */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/notifications/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel what has not been delivered yet
         * @description A scheduled or queued notification is cancelled entirely. Once it went out, every delivery that no device of its user has acknowledged yet is cancelled, so catch-up never sends it; those already on their way to an open socket at that moment may still arrive. `cancelled` says how many recipients this request stopped. Cancelling twice is not an error; 409 `HERALD_ERR_NOT_CANCELLABLE` when nothing is left to cancel (every recipient received it, or it expired).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /**
                             * @description `queued`: accepted, waiting for its job. `dispatched`: its recipients are fixed and it went to delivery (their delivery rows say the rest): an immediate send to at most 100 users once its job read it to emit it, a longer list once its fan-out is written, a topic send or broadcast once its job sent it.
                             * @enum {unknown}
                             */
                            status: "queued" | "scheduled" | "processing" | "dispatched" | "cancelled" | "failed" | "expired";
                            /** @description Exactly one of { userId }, { userIds: [...] }, { topic }, { topics: [...] } or { broadcast: true }. A topic send reaches the users in the topic when it is accepted (the topic must exist: 404 HERALD_ERR_TOPIC_NOT_FOUND); a broadcast, every user the app knows at that moment. */
                            to: {
                                /** @description The integrator's user id */
                                userId?: string;
                                /** @description Up to 10,000 entries; a user named twice is one recipient */
                                userIds?: string[];
                                /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                                topic?: string;
                                /** @description Up to 10 topics: a user in several of them gets the notification once; a topic named twice counts once, where it is first named */
                                topics?: string[];
                                /** @enum {boolean} */
                                broadcast?: true;
                            };
                            title: string;
                            body: string | null;
                            icon: string | null;
                            image: string | null;
                            url: string | null;
                            tag: string | null;
                            data: unknown;
                            /** @enum {unknown} */
                            priority: "low" | "normal" | "high";
                            category: string | null;
                            ttlSeconds: number | null;
                            expiresAt: string | null;
                            sendAt: string | null;
                            createdAt: string;
                            /** @description When its recipients were fixed: for an immediate send to at most 100 users, when it was accepted (their rows are written then) */
                            dispatchedAt: string | null;
                            cancelledAt: string | null;
                            failureReason: string | null;
                            recipients: number;
                            /** @description Recipients by their delivery's status now (each in its latest step). A topic send's or broadcast's are its whole audience, each member with the status its recipient list gives them (`skipped` by their preferences, `queued` until a device of theirs has it, the ending, or their receipt’s) — for an audience of up to 20,000. A larger one is counted by its receipts, the rest of its audience as `queued` (`countsExact` is false) */
                            counts: {
                                queued: number;
                                sent: number;
                                delivered: number;
                                displayed: number;
                                clicked: number;
                                read: number;
                                expired: number;
                                failed: number;
                                cancelled: number;
                                skipped: number;
                            };
                            /** @description False for a topic send or broadcast to more than 20,000 users: its members are not read on each request, so those its preferences skip are counted in `queued`; its recipient list, filtered by status, names them */
                            countsExact: boolean;
                            /** @description Recipients who reached each step, whatever came after: a click that was then read counts as clicked, and one read in the inbox without a popup is not counted as displayed */
                            funnel: {
                                delivered: number;
                                displayed: number;
                                clicked: number;
                                read: number;
                            };
                            /** @description Web Push, by browser */
                            push: {
                                /** @description Browsers of recipients whose tab had it on a socket in time: no push */
                                socket: number;
                                /** @description Browsers a push was posted to (its push service answered, or the network failed under a post); one refused before any post (its host not allowed, keys nothing can be encrypted for) counts in `failed` only */
                                posted: number;
                                /** @description Browsers not posted to: the user's preferences (off, inbox only, quiet hours) or too old to pop up */
                                skipped: number;
                                /** @description Of those, the push service took it (201) */
                                accepted: number;
                                /** @description Herald's service worker showed it */
                                displayed: number;
                                /** @description It was clicked */
                                clicked: number;
                                /** @description Gave up: failed, subscription gone (404/410) or to be renewed after a key rotation */
                                failed: number;
                            };
                            /** @description Recipients this request stopped: every recipient of a notification that had not gone out yet, or, once it went out, those no device had acknowledged (catch-up will not send it to them). 0 when cancelling again. */
                            cancelled: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/notifications/{id}/recipients": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Each recipient's delivery state and timeline
         * @description In user-id order, a page at a time. A send to users lists its users: each with their delivery, or, pushed to before any device said anything, their pushes' status; before it went out (scheduled, or waiting for its fan-out), `queued` with `seq` null, or the notification's ending. A topic send or broadcast lists its audience when it was accepted (the members of its topics then, or every user the app knew): each member's receipt once something happened to it for them, else `queued` (no device of theirs has it yet), `skipped` with the reason when the member's preferences turn it off, or the notification's ending (`cancelled`, `expired`). With a `status` filter, a page reads at most 20,000 members of a topic send or broadcast: one that stopped there may hold fewer than `limit`, even none, and its `nextCursor` goes on after the last member it read.
         */
        get: {
            parameters: {
                query?: {
                    /** @description nextCursor of the previous page (a user id: the page goes on after it) */
                    cursor?: string;
                    limit?: number;
                    status?: "queued" | "sent" | "delivered" | "displayed" | "clicked" | "read" | "expired" | "failed" | "cancelled" | "skipped";
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                userId: string;
                                /** @description The user's sequence number; null for a topic send or broadcast (in no personal sequence) */
                                seq: number | null;
                                /** @enum {unknown} */
                                status: "queued" | "sent" | "delivered" | "displayed" | "clicked" | "read" | "expired" | "failed" | "cancelled" | "skipped";
                                reason: string | null;
                                queuedAt: string;
                                sentAt: string | null;
                                deliveredAt: string | null;
                                displayedAt: string | null;
                                clickedAt: string | null;
                                readAt: string | null;
                                expiredAt: string | null;
                                failedAt: string | null;
                                /** @description Web Push to each of the user's browsers that has a row for it */
                                push: {
                                    /** @description The push subscription (browser) id */
                                    browser: string;
                                    /** @description socket: a tab had it (no push); pending: posting or retrying; sent: the push service took it; skipped: not posted (the user's preferences, or too old) */
                                    status: "socket" | "pending" | "sent" | "failed" | "gone" | "resubscribe" | "skipped";
                                    attempts: {
                                        at: string;
                                        /** @description The push service's HTTP status; 0 when it did not answer */
                                        status: number;
                                        outcome: string;
                                        detail?: string;
                                    }[];
                                    /** @description What was cut to fit 4 KB: data, body */
                                    trimmed: string[];
                                    sentAt: string | null;
                                    displayedAt: string | null;
                                    clickedAt: string | null;
                                    closedAt: string | null;
                                }[];
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/notifications/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a notification and its delivery counts */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /**
                             * @description `queued`: accepted, waiting for its job. `dispatched`: its recipients are fixed and it went to delivery (their delivery rows say the rest): an immediate send to at most 100 users once its job read it to emit it, a longer list once its fan-out is written, a topic send or broadcast once its job sent it.
                             * @enum {unknown}
                             */
                            status: "queued" | "scheduled" | "processing" | "dispatched" | "cancelled" | "failed" | "expired";
                            /** @description Exactly one of { userId }, { userIds: [...] }, { topic }, { topics: [...] } or { broadcast: true }. A topic send reaches the users in the topic when it is accepted (the topic must exist: 404 HERALD_ERR_TOPIC_NOT_FOUND); a broadcast, every user the app knows at that moment. */
                            to: {
                                /** @description The integrator's user id */
                                userId?: string;
                                /** @description Up to 10,000 entries; a user named twice is one recipient */
                                userIds?: string[];
                                /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                                topic?: string;
                                /** @description Up to 10 topics: a user in several of them gets the notification once; a topic named twice counts once, where it is first named */
                                topics?: string[];
                                /** @enum {boolean} */
                                broadcast?: true;
                            };
                            title: string;
                            body: string | null;
                            icon: string | null;
                            image: string | null;
                            url: string | null;
                            tag: string | null;
                            data: unknown;
                            /** @enum {unknown} */
                            priority: "low" | "normal" | "high";
                            category: string | null;
                            ttlSeconds: number | null;
                            expiresAt: string | null;
                            sendAt: string | null;
                            createdAt: string;
                            /** @description When its recipients were fixed: for an immediate send to at most 100 users, when it was accepted (their rows are written then) */
                            dispatchedAt: string | null;
                            cancelledAt: string | null;
                            failureReason: string | null;
                            recipients: number;
                            /** @description Recipients by their delivery's status now (each in its latest step). A topic send's or broadcast's are its whole audience, each member with the status its recipient list gives them (`skipped` by their preferences, `queued` until a device of theirs has it, the ending, or their receipt’s) — for an audience of up to 20,000. A larger one is counted by its receipts, the rest of its audience as `queued` (`countsExact` is false) */
                            counts: {
                                queued: number;
                                sent: number;
                                delivered: number;
                                displayed: number;
                                clicked: number;
                                read: number;
                                expired: number;
                                failed: number;
                                cancelled: number;
                                skipped: number;
                            };
                            /** @description False for a topic send or broadcast to more than 20,000 users: its members are not read on each request, so those its preferences skip are counted in `queued`; its recipient list, filtered by status, names them */
                            countsExact: boolean;
                            /** @description Recipients who reached each step, whatever came after: a click that was then read counts as clicked, and one read in the inbox without a popup is not counted as displayed */
                            funnel: {
                                delivered: number;
                                displayed: number;
                                clicked: number;
                                read: number;
                            };
                            /** @description Web Push, by browser */
                            push: {
                                /** @description Browsers of recipients whose tab had it on a socket in time: no push */
                                socket: number;
                                /** @description Browsers a push was posted to (its push service answered, or the network failed under a post); one refused before any post (its host not allowed, keys nothing can be encrypted for) counts in `failed` only */
                                posted: number;
                                /** @description Browsers not posted to: the user's preferences (off, inbox only, quiet hours) or too old to pop up */
                                skipped: number;
                                /** @description Of those, the push service took it (201) */
                                accepted: number;
                                /** @description Herald's service worker showed it */
                                displayed: number;
                                /** @description It was clicked */
                                clicked: number;
                                /** @description Gave up: failed, subscription gone (404/410) or to be renewed after a key rotation */
                                failed: number;
                            };
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Issue a user token
         * @description A short-lived JWT for one of your users, to hand to your page for `Herald.init({ token })`. You may also sign it yourself: HS256 with the app secret, `sub` = user id, `aud` = app id, `exp` required. Tokens expiring more than HERALD_MAX_TOKEN_LIFETIME_SECONDS (here 86400) seconds ahead are refused, and a larger `ttlSeconds` is a 400 `HERALD_ERR_TOKEN_TTL_TOO_LONG`.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    /**
                     * @example {
                     *       "userId": "alice"
                     *     }
                     */
                    "application/json": {
                        /** @description The integrator's user id */
                        userId: string;
                        ttlSeconds?: number;
                        /** @description Topics this user may subscribe to (and leave) from the SDK, besides the public ones: names in which * stands for any characters (project:*, team/alpha). Signed into the token as its `topics` claim. */
                        topics?: string[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            token: string;
                            /** Format: date-time */
                            expiresAt: string;
                            appId: string;
                            userId: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{userId}/inbox": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A user's inbox, newest first
         * @description Pass `nextCursor` as `cursor` for older entries. An unknown user has an empty inbox.
         */
        get: {
            parameters: {
                query?: {
                    /** @description nextCursor of the previous page, unchanged (400 HERALD_ERR_CURSOR_INVALID otherwise) */
                    cursor?: string;
                    limit?: number;
                    unreadOnly?: boolean;
                };
                header?: never;
                path: {
                    /** @description The integrator's user id */
                    userId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                /** @description Per-user increasing sequence number: the client's resume cursor */
                                seq: number;
                                title: string;
                                body: string | null;
                                icon: string | null;
                                image: string | null;
                                url: string | null;
                                tag: string | null;
                                data: unknown;
                                /** @enum {unknown} */
                                priority: "low" | "normal" | "high";
                                category: string | null;
                                /**
                                 * Format: date-time
                                 * @description When the notification was accepted
                                 */
                                createdAt: string;
                                expiresAt: string | null;
                                /** @description True when it should go to the inbox without a popup: it is older than the freshness window (a replay after a long disconnect) or was already read on another device; and, in what a device is sent (live or in catch-up), when the user's preferences (`inbox` for its category or topic) or quiet hours, as they are when it is sent, say so. An inbox list pops nothing up: there it says only whether the item is old or read */
                                silent: boolean;
                                readAt: string | null;
                                /** @description True when the catch-up on connect (or an answer to `sync`) sends it and it was accepted before this connection: missed while away. What they send of those accepted since comes without it, as a live one does */
                                replay?: boolean;
                                /** @description Set on a topic send or broadcast: the stream it came through. Such a notification is in no personal sequence; its `seq` is the personal position this device already has, so keeping it moves nothing */
                                stream?: {
                                    /** @description The topic, or `*` for the app's broadcasts */
                                    name: string;
                                    /** @description Its place in that stream: the stream's resume cursor */
                                    seq: number;
                                };
                                /** @enum {unknown} */
                                status: "queued" | "sent" | "delivered" | "displayed" | "clicked" | "read";
                            }[];
                            /** @description Pass as `cursor` for the next (older) page; null at the end. Opaque. */
                            nextCursor: string | null;
                            unread: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{userId}/inbox/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark notifications read for a user
         * @description `{ ids: [...] }` or `{ all: true }`. The user's open tabs and devices update their unread badge at once.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The integrator's user id */
                    userId: string;
                };
                cookie?: never;
            };
            /** @description Either { ids: [...] } or { all: true } */
            requestBody: {
                content: {
                    /**
                     * @example {
                     *       "all": true
                     *     }
                     */
                    "application/json": {
                        ids?: string[];
                        /** @enum {boolean} */
                        all?: true;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description How many changed to read */
                            read: number;
                            unread: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/topics/{topic}/subscribers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A topic's subscribers
         * @description In user-id order; pass `nextCursor` as `cursor` for the next page.
         */
        get: {
            parameters: {
                query?: {
                    /** @description nextCursor of the previous page (a user id: the page goes on after it) */
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path: {
                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                    topic: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topic: string;
                            subscribers: {
                                userId: string;
                                /** Format: date-time */
                                subscribedAt: string;
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        /**
         * Subscribe users to a topic
         * @description Adds the users to the topic, creating the topic (and users Herald has not seen yet) as needed. Users already in it are left as they are: calling again changes nothing.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                    topic: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The users to add or remove (1 to 1000 entries; a user named twice counts once) */
                        userIds: string[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topic: string;
                            /** @description How many of the users this call added (or removed); the others already were (or were not) in it */
                            changed: number;
                            /** @description The topic's size afterwards */
                            subscribers: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        post?: never;
        /**
         * Unsubscribe users from a topic
         * @description Removes the users from the topic. Users not in it, or a topic that does not exist, change nothing. The topic stays, even when empty: delete it with `DELETE /v1/topics/{topic}`.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                    topic: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The users to add or remove (1 to 1000 entries; a user named twice counts once) */
                        userIds: string[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topic: string;
                            /** @description How many of the users this call added (or removed); the others already were (or were not) in it */
                            changed: number;
                            /** @description The topic's size afterwards */
                            subscribers: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/topics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The app's topics, with their sizes
         * @description In name order; pass `nextCursor` as `cursor` for the next page.
         */
        get: {
            parameters: {
                query?: {
                    /** @description nextCursor of the previous page (a topic name; 400 HERALD_ERR_CURSOR_INVALID otherwise) */
                    cursor?: string;
                    limit?: number;
                    /** @description Only topics starting with this */
                    prefix?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topics: {
                                topic: string;
                                subscribers: number;
                                /** @description Users may subscribe themselves from the SDK */
                                public: boolean;
                                /** Format: date-time */
                                createdAt: string;
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/topics/{topic}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One topic and its size */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                    topic: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topic: string;
                            subscribers: number;
                            /** @description Users may subscribe themselves from the SDK */
                            public: boolean;
                            /** Format: date-time */
                            createdAt: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        /**
         * Create a topic, or change its settings
         * @description Settings left out keep their value (a new topic: not public). With `If-None-Match: *` it is only created: one that exists is left as it is, with 412 `HERALD_ERR_TOPIC_EXISTS`.
         */
        put: {
            parameters: {
                query?: never;
                header?: {
                    /** @description `*`: create it only; if it exists already, 412 (`HERALD_ERR_…_EXISTS`) and nothing changes */
                    "if-none-match"?: string;
                };
                path: {
                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                    topic: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Whether users may subscribe themselves from the SDK (Herald.subscribe). Otherwise only your backend can, or a user whose token's `topics` claim grants the topic. A new topic is not public. */
                        public?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topic: string;
                            subscribers: number;
                            /** @description Users may subscribe themselves from the SDK */
                            public: boolean;
                            /** Format: date-time */
                            createdAt: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Its precondition failed: If-None-Match: * and it already exists */
                412: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        post?: never;
        /**
         * Delete a topic
         * @description Deletes the topic and every subscription to it.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                    topic: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topic: string;
                            /** @enum {boolean} */
                            deleted: true;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{userId}/topics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The topics a user is in
         * @description In name order, 1,000 a page unless `limit` asks for fewer; pass `nextCursor` as `cursor` for the next page (null: there is none). A user Herald has never seen is in none.
         */
        get: {
            parameters: {
                query?: {
                    /** @description nextCursor of the previous page (a topic name; 400 HERALD_ERR_CURSOR_INVALID otherwise) */
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path: {
                    /** @description The integrator's user id */
                    userId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            userId: string;
                            topics: {
                                topic: string;
                                /** Format: date-time */
                                subscribedAt: string;
                            }[];
                            /** @description Pass it as `cursor` for the next page; null on the last */
                            nextCursor: string | null;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/categories": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The app's categories
         * @description In key order.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            categories: {
                                key: string;
                                name: string;
                                description: string | null;
                                /** @enum {unknown} */
                                defaultMode: "popup" | "inbox" | "off";
                                /** @description Users cannot turn it off (their `off` counts as `inbox`) */
                                required: boolean;
                                /** Format: date-time */
                                createdAt: string;
                            }[];
                        };
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/categories/{category}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Create a category, or change it
         * @description Fields left out keep their value; a new category is named by its key, pops up by default and is not required. A send names it in `category`; at most 100 per app. With `If-None-Match: *` it is only created: one that exists is left as it is, with 412 `HERALD_ERR_CATEGORY_EXISTS`.
         */
        put: {
            parameters: {
                query?: never;
                header?: {
                    /** @description `*`: create it only; if it exists already, 412 (`HERALD_ERR_…_EXISTS`) and nothing changes */
                    "if-none-match"?: string;
                };
                path: {
                    category: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        description?: null | string;
                        /** @enum {unknown} */
                        defaultMode?: "popup" | "inbox" | "off";
                        /** @description Users cannot turn it off: their `off`, for it or its topic, counts as `inbox` */
                        required?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            key: string;
                            name: string;
                            description: string | null;
                            /** @enum {unknown} */
                            defaultMode: "popup" | "inbox" | "off";
                            /** @description Users cannot turn it off (their `off` counts as `inbox`) */
                            required: boolean;
                            /** Format: date-time */
                            createdAt: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Its precondition failed: If-None-Match: * and it already exists */
                412: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        post?: never;
        /**
         * Delete a category
         * @description Notifications that named it keep its key and count as uncategorised from now on; users' choices for it are kept, unused.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    category: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            category: string;
                            /** @enum {boolean} */
                            deleted: true;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{userId}/preferences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A user's preferences
         * @description A user Herald has not seen has made no choice: every default applies. A user holds at most 32 KB of choices (see the PATCH).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The integrator's user id */
                    userId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Mode per category key */
                            categories: {
                                [key: string]: "popup" | "inbox" | "off";
                            };
                            /** @description Mode per topic name */
                            topics: {
                                [key: string]: "popup" | "inbox" | "off";
                            };
                            quietHours: {
                                /** @description 24-hour HH:MM */
                                start: string;
                                /** @description 24-hour HH:MM */
                                end: string;
                                /** @description An IANA time zone, e.g. Europe/Paris */
                                timeZone: string;
                            } | null;
                            /** @description The keys of `categories` the app made required, in key order (absent when none): their mode is the one that applies, at least `inbox`. An `off` chosen before the category became required shows as `inbox`; it is kept, and applies again if the category stops being required. */
                            required?: string[];
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change a user's preferences
         * @description Per category and per topic: `popup`, `inbox` (no popup) or `off`; `null` forgets a choice (the default applies again). Keys left out stay as they are. `quietHours` replaces the quiet hours (`null`: none). A required category cannot be turned off. The user's open devices follow at once. A change names at most 200 categories and 200 topics, and a user's stored choices (categories, topics and quiet hours together) hold at most 32 KB, some 1,000 topic choices: a change that would grow them past it is refused whole with 400 `HERALD_ERR_PREFERENCES_TOO_LARGE` (forget choices with `null` to make room).
         */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The integrator's user id */
                    userId: string;
                };
                cookie?: never;
            };
            /** @description The keys named change (`null` forgets a choice: the default applies again); the rest stay */
            requestBody: {
                content: {
                    "application/json": {
                        categories?: {
                            [key: string]: ("popup" | "inbox" | "off") | null;
                        };
                        topics?: {
                            [key: string]: ("popup" | "inbox" | "off") | null;
                        };
                        quietHours?: {
                            /** @description 24-hour HH:MM */
                            start: string;
                            /** @description 24-hour HH:MM */
                            end: string;
                            /** @description An IANA time zone, e.g. Europe/Paris */
                            timeZone: string;
                        } | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Mode per category key */
                            categories: {
                                [key: string]: "popup" | "inbox" | "off";
                            };
                            /** @description Mode per topic name */
                            topics: {
                                [key: string]: "popup" | "inbox" | "off";
                            };
                            quietHours: {
                                /** @description 24-hour HH:MM */
                                start: string;
                                /** @description 24-hour HH:MM */
                                end: string;
                                /** @description An IANA time zone, e.g. Europe/Paris */
                                timeZone: string;
                            } | null;
                            /** @description The keys of `categories` the app made required, in key order (absent when none): their mode is the one that applies, at least `inbox`. An `off` chosen before the category became required shows as `inbox`; it is kept, and applies again if the category stops being required. */
                            required?: string[];
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/admin/api/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who is signed in */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": ({
                            email: string;
                            /** @enum {unknown} */
                            role: "owner" | "admin" | "viewer";
                        } & {
                            /** @enum {boolean} */
                            signedIn: true;
                        }) | {
                            /** @enum {boolean} */
                            signedIn: false;
                        };
                    };
                };
            };
        };
        put?: never;
        /**
         * Sign in to the dashboard
         * @description At most 10 attempts per email and address, and 30 failed ones per address whatever the email (an IPv6 address counts as its /64), in 15 minutes (429 after that); 503 while Redis, which counts them, does not answer, or while too many passwords are being checked at once (`HERALD_ERR_SIGN_IN_BUSY`, with Retry-After).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        email: string;
                        password: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            email: string;
                            /** @enum {unknown} */
                            role: "owner" | "admin" | "viewer";
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Redis, the queue or the database is unavailable; `code` says which, and whether anything was stored */
                503: {
                    headers: {
                        /** @description Seconds to wait before retrying, where one is known */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        /** Sign out */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            ok: true;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Default Response */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/apps": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Apps (tenants) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            allowedOrigins: string[];
                            /** @description Requests per minute each API key of the app may make to each group of /v1 routes (sends, tokens, the rest); null: the server's default (HERALD_RATE_LIMIT_PER_MINUTE); 0: no limit. */
                            rateLimitPerMinute: number | null;
                            /** @description The server's default (0: no limit). */
                            defaultRateLimitPerMinute: number;
                            /** @description Click URLs must be paths or on one of the app's allowed origins */
                            restrictUrls: boolean;
                            createdAt: string;
                            secretRotatedAt: string | null;
                            /** @description Until when tokens signed with the rotated-out secret are accepted; null when none are */
                            previousSecretValidUntil: string | null;
                            keys: number;
                            subscribers: number;
                            /** @description The app's VAPID public key (Web Push); null until first needed */
                            vapidPublicKey: string | null;
                            vapidRotatedAt: string | null;
                            /** @description Browsers subscribed to Web Push (active) */
                            pushSubscriptions: number;
                        }[];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        /** Create an app, with its JWT secret and first API key (both shown once) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    /**
                     * @example {
                     *       "name": "Shop",
                     *       "allowedOrigins": [
                     *         "https://shop.example"
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @description lowercase letters, digits, dashes */
                        id?: string;
                        name: string;
                        allowedOrigins?: string[];
                        /** @description Requests per minute each API key of the app may make to each group of /v1 routes (sends, tokens, the rest); null: the server's default (HERALD_RATE_LIMIT_PER_MINUTE); 0: no limit. */
                        rateLimitPerMinute?: number | null;
                        /** @description When true, a notification's click `url` must be a path or on one of the app's allowed origins (an open redirect from popups and the inbox otherwise). */
                        restrictUrls?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            app: {
                                id: string;
                                name: string;
                                allowedOrigins: string[];
                                /** @description Requests per minute each API key of the app may make to each group of /v1 routes (sends, tokens, the rest); null: the server's default (HERALD_RATE_LIMIT_PER_MINUTE); 0: no limit. */
                                rateLimitPerMinute: number | null;
                                /** @description The server's default (0: no limit). */
                                defaultRateLimitPerMinute: number;
                                /** @description Click URLs must be paths or on one of the app's allowed origins */
                                restrictUrls: boolean;
                                createdAt: string;
                                secretRotatedAt: string | null;
                                /** @description Until when tokens signed with the rotated-out secret are accepted; null when none are */
                                previousSecretValidUntil: string | null;
                                keys: number;
                                subscribers: number;
                                /** @description The app's VAPID public key (Web Push); null until first needed */
                                vapidPublicKey: string | null;
                                vapidRotatedAt: string | null;
                                /** @description Browsers subscribed to Web Push (active) */
                                pushSubscriptions: number;
                            };
                            jwtSecret: string;
                            apiKey: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/apps/{appId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete an app, with its keys, users and every notification of it
         * @description Everything of the app goes, at once and for good: its API keys (calls with them get 401), its users, topics, categories and push subscriptions, its notifications and their deliveries (a scheduled send's job leaves the queue too). Its users' sockets are closed on every node with `closing` `HERALD_ERR_APP_UNKNOWN`. The default app cannot be deleted (409 `HERALD_ERR_APP_DEFAULT`): every start makes it again.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            ok: true;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Rename an app or set the origins allowed to embed the SDK */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appId: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    /**
                     * @example {
                     *       "allowedOrigins": [
                     *         "https://shop.example"
                     *       ]
                     *     }
                     */
                    "application/json": {
                        name?: string;
                        allowedOrigins?: string[];
                        /** @description Requests per minute each API key of the app may make to each group of /v1 routes (sends, tokens, the rest); null: the server's default (HERALD_RATE_LIMIT_PER_MINUTE); 0: no limit. */
                        rateLimitPerMinute?: number | null;
                        /** @description When true, a notification's click `url` must be a path or on one of the app's allowed origins (an open redirect from popups and the inbox otherwise). */
                        restrictUrls?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            allowedOrigins: string[];
                            /** @description Requests per minute each API key of the app may make to each group of /v1 routes (sends, tokens, the rest); null: the server's default (HERALD_RATE_LIMIT_PER_MINUTE); 0: no limit. */
                            rateLimitPerMinute: number | null;
                            /** @description The server's default (0: no limit). */
                            defaultRateLimitPerMinute: number;
                            /** @description Click URLs must be paths or on one of the app's allowed origins */
                            restrictUrls: boolean;
                            createdAt: string;
                            secretRotatedAt: string | null;
                            /** @description Until when tokens signed with the rotated-out secret are accepted; null when none are */
                            previousSecretValidUntil: string | null;
                            keys: number;
                            subscribers: number;
                            /** @description The app's VAPID public key (Web Push); null until first needed */
                            vapidPublicKey: string | null;
                            vapidRotatedAt: string | null;
                            /** @description Browsers subscribed to Web Push (active) */
                            pushSubscriptions: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/admin/api/apps/{appId}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate an app's JWT secret
         * @description Tokens signed with the previous secret stay valid for `graceSeconds` (24 hours by default), so users are not cut off; sockets opened with them are closed when the grace ends, unless they refresh their token first. `graceSeconds=0` cuts them all at once (a leaked secret).
         */
        post: {
            parameters: {
                query?: {
                    graceSeconds?: number;
                };
                header?: never;
                path: {
                    appId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            jwtSecret: string;
                            previousValidUntil: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/apps/{appId}/rotate-push-key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate an app's VAPID key pair (Web Push)
         * @description A new key pair; push services refuse pushes signed with it for subscriptions made with the old one, so every such subscription is marked for re-subscription and gets no push until its browser subscribes again — which the SDK does on its next connect (at once for a connected one that registers). The private key is never shown.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            vapidPublicKey: string;
                            /** @description Subscriptions marked for re-subscription */
                            marked: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/apps/{appId}/revoke-previous-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End the grace of the rotated-out JWT secret now
         * @description Tokens signed with the previous secret are refused from now on, and every socket opened with one is closed with `closing` `HERALD_ERR_TOKEN_REVOKED`, on every node.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            allowedOrigins: string[];
                            /** @description Requests per minute each API key of the app may make to each group of /v1 routes (sends, tokens, the rest); null: the server's default (HERALD_RATE_LIMIT_PER_MINUTE); 0: no limit. */
                            rateLimitPerMinute: number | null;
                            /** @description The server's default (0: no limit). */
                            defaultRateLimitPerMinute: number;
                            /** @description Click URLs must be paths or on one of the app's allowed origins */
                            restrictUrls: boolean;
                            createdAt: string;
                            secretRotatedAt: string | null;
                            /** @description Until when tokens signed with the rotated-out secret are accepted; null when none are */
                            previousSecretValidUntil: string | null;
                            keys: number;
                            subscribers: number;
                            /** @description The app's VAPID public key (Web Push); null until first needed */
                            vapidPublicKey: string | null;
                            vapidRotatedAt: string | null;
                            /** @description Browsers subscribed to Web Push (active) */
                            pushSubscriptions: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/apps/{appId}/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An app's API keys (their prefixes, never the keys) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            prefix: string;
                            createdAt: string;
                            lastUsedAt: string | null;
                            revokedAt: string | null;
                        }[];
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        /** Create an API key (the key is shown once) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appId: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    /**
                     * @example {
                     *       "name": "Backend"
                     *     }
                     */
                    "application/json": {
                        name: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            key: {
                                id: string;
                                name: string;
                                prefix: string;
                                createdAt: string;
                                lastUsedAt: string | null;
                                revokedAt: string | null;
                            };
                            secret: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/keys/{keyId}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke an API key: its next call is refused */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    keyId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            prefix: string;
                            createdAt: string;
                            lastUsedAt: string | null;
                            revokedAt: string | null;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/overview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Counters, presence and the last hour per minute
         * @description Kept in Redis: a 503 HERALD_ERR_REDIS_UNAVAILABLE while Redis is down or does not answer.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            presence: {
                                /** @description Sockets connected, all nodes */
                                sockets: number;
                                /** @description Users connected, all nodes */
                                users: number;
                                /** @description Socket nodes reporting */
                                nodes: number;
                            };
                            /** @description Totals over the last hour */
                            lastHour: {
                                sent: number;
                                delivered: number;
                                displayed: number;
                                clicked: number;
                                read: number;
                            };
                            /** @description The last hour, per minute */
                            series: {
                                /** @description Start of the minute, ms since the epoch */
                                t: number;
                                sent: number;
                                delivered: number;
                                displayed: number;
                                clicked: number;
                                read: number;
                            }[];
                            queue: {
                                waiting: number;
                                active: number;
                                delayed: number;
                                failed: number;
                            };
                        };
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Redis, the queue or the database is unavailable; `code` says which, and whether anything was stored */
                503: {
                    headers: {
                        /** @description Seconds to wait before retrying, where one is known */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The notifications log, newest first */
        get: {
            parameters: {
                query?: {
                    appId?: string;
                    /** @description The status the list shows: `queued` includes an immediate send to at most 100 users whose job has not emitted it yet (stored as dispatched by its accept), which `dispatched` leaves out */
                    status?: "queued" | "scheduled" | "processing" | "dispatched" | "cancelled" | "failed" | "expired";
                    recipient?: string;
                    from?: string;
                    to?: string;
                    /** @description nextCursor of the previous page, unchanged (400 HERALD_ERR_CURSOR_INVALID otherwise) */
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                appId: string;
                                title: string;
                                /**
                                 * @description The send's status, not a recipient's: `scheduled` (waiting for its `sendAt`), `queued` (for a worker), `processing` (being sent), `dispatched` (it went out to every recipient's open devices: who had it is in its counts), `cancelled`, `failed` (after its last attempt) or `expired` (its ttl ran out before it went out)
                                 * @enum {unknown}
                                 */
                                status: "queued" | "scheduled" | "processing" | "dispatched" | "cancelled" | "failed" | "expired";
                                /** @enum {unknown} */
                                priority: "low" | "normal" | "high";
                                /** @description Exactly one of { userId }, { userIds: [...] }, { topic }, { topics: [...] } or { broadcast: true }. A topic send reaches the users in the topic when it is accepted (the topic must exist: 404 HERALD_ERR_TOPIC_NOT_FOUND); a broadcast, every user the app knows at that moment. */
                                target: {
                                    /** @description The integrator's user id */
                                    userId?: string;
                                    /** @description Up to 10,000 entries; a user named twice is one recipient */
                                    userIds?: string[];
                                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                                    topic?: string;
                                    /** @description Up to 10 topics: a user in several of them gets the notification once; a topic named twice counts once, where it is first named */
                                    topics?: string[];
                                    /** @enum {boolean} */
                                    broadcast?: true;
                                };
                                recipients: number;
                                createdAt: string;
                                sendAt: string | null;
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Send from the composer
         * @description A send to more users than HERALD_CONFIRM_SEND_ABOVE (the audience route's `confirmAbove`) is refused with 409 `HERALD_ERR_CONFIRMATION_REQUIRED` unless `confirmRecipients` is at least its audience: the admin saw the number.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    /**
                     * @example {
                     *       "appId": "default",
                     *       "to": {
                     *         "userId": "alice"
                     *       },
                     *       "title": "Hello from the dashboard"
                     *     }
                     */
                    "application/json": {
                        appId: string;
                        /** @description Exactly one of { userId }, { userIds: [...] }, { topic }, { topics: [...] } or { broadcast: true }. A topic send reaches the users in the topic when it is accepted (the topic must exist: 404 HERALD_ERR_TOPIC_NOT_FOUND); a broadcast, every user the app knows at that moment. */
                        to: {
                            /** @description The integrator's user id */
                            userId?: string;
                            /** @description Up to 10,000 entries; a user named twice is one recipient */
                            userIds?: string[];
                            /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                            topic?: string;
                            /** @description Up to 10 topics: a user in several of them gets the notification once; a topic named twice counts once, where it is first named */
                            topics?: string[];
                            /** @enum {boolean} */
                            broadcast?: true;
                        };
                        title: string;
                        body?: string;
                        /** @description An absolute http(s) URL, or a path on the page's own origin: one "/" followed by anything but "/" or "\" (no spaces, control characters, backslashes or credentials; 400 `HERALD_ERR_URL_INVALID` otherwise). An app may restrict click URLs to its allowed origins. */
                        icon?: string;
                        /** @description An absolute http(s) URL, or a path on the page's own origin: one "/" followed by anything but "/" or "\" (no spaces, control characters, backslashes or credentials; 400 `HERALD_ERR_URL_INVALID` otherwise). An app may restrict click URLs to its allowed origins. */
                        image?: string;
                        /** @description An absolute http(s) URL, or a path on the page's own origin: one "/" followed by anything but "/" or "\" (no spaces, control characters, backslashes or credentials; 400 `HERALD_ERR_URL_INVALID` otherwise). An app may restrict click URLs to its allowed origins. */
                        url?: string;
                        tag?: string;
                        /** @description Small JSON value handed to the page: at most 4 KB, and the whole request nests at most 64 deep */
                        data?: unknown;
                        /** @enum {unknown} */
                        priority?: "low" | "normal" | "high";
                        /** @description One of the app's categories (`PUT /v1/categories/{category}`): each user's preferences for it apply — popup, inbox only, or off (skipped, with the reason in the recipient list) */
                        category?: string;
                        ttlSeconds?: number;
                        /**
                         * Format: date-time
                         * @description At most a year ahead (the same date and time next year); one already past sends now
                         */
                        sendAt?: string;
                        idempotencyKey?: string;
                        /** @description The audience the admin confirmed (see the audience route) */
                        confirmRecipients?: number;
                    };
                };
            };
            responses: {
                /** @description Accepted: stored and queued (for a repeated idempotency key, the original one) */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: uuid */
                            id: string;
                            /**
                             * @description The send's status, not a recipient's: `scheduled` (waiting for its `sendAt`), `queued` (for a worker), `processing` (being sent), `dispatched` (it went out to every recipient's open devices: who had it is in its counts), `cancelled`, `failed` (after its last attempt) or `expired` (its ttl ran out before it went out)
                             * @enum {unknown}
                             */
                            status: "queued" | "scheduled" | "processing" | "dispatched" | "cancelled" | "failed" | "expired";
                            /** @description Number of users targeted */
                            recipients: number;
                            /**
                             * @description Present when the notification is stored (so accepted: it will be sent) but the queue in Redis did not take it in time; the housekeeping sweep queues it once Redis answers, so it may arrive late. Do not send it again (a retry with the same idempotency key returns this notification).
                             * @enum {boolean}
                             */
                            queueDelayed?: true;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The idempotency key was used for a different request in the last 24 hours */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Redis, the queue or the database is unavailable; `code` says which, and whether anything was stored */
                503: {
                    headers: {
                        /** @description Seconds to wait before retrying, where one is known */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/apps/{appId}/audience": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * How many users a topic send or broadcast would reach now
         * @description The composer shows it before sending; a send to more than `confirmAbove` users needs `confirmRecipients`.
         */
        get: {
            parameters: {
                query?: {
                    /** @description Comma-separated topic names (up to 10) */
                    topics?: string;
                    /** @description Everyone the app knows */
                    broadcast?: boolean;
                };
                header?: never;
                path: {
                    appId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            recipients: number;
                            confirmAbove: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/notifications/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /**
                             * @description `queued`: accepted, waiting for its job. `dispatched`: its recipients are fixed and it went to delivery (their delivery rows say the rest): an immediate send to at most 100 users once its job read it to emit it, a longer list once its fan-out is written, a topic send or broadcast once its job sent it.
                             * @enum {unknown}
                             */
                            status: "queued" | "scheduled" | "processing" | "dispatched" | "cancelled" | "failed" | "expired";
                            /** @description Exactly one of { userId }, { userIds: [...] }, { topic }, { topics: [...] } or { broadcast: true }. A topic send reaches the users in the topic when it is accepted (the topic must exist: 404 HERALD_ERR_TOPIC_NOT_FOUND); a broadcast, every user the app knows at that moment. */
                            to: {
                                /** @description The integrator's user id */
                                userId?: string;
                                /** @description Up to 10,000 entries; a user named twice is one recipient */
                                userIds?: string[];
                                /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                                topic?: string;
                                /** @description Up to 10 topics: a user in several of them gets the notification once; a topic named twice counts once, where it is first named */
                                topics?: string[];
                                /** @enum {boolean} */
                                broadcast?: true;
                            };
                            title: string;
                            body: string | null;
                            icon: string | null;
                            image: string | null;
                            url: string | null;
                            tag: string | null;
                            data: unknown;
                            /** @enum {unknown} */
                            priority: "low" | "normal" | "high";
                            category: string | null;
                            ttlSeconds: number | null;
                            expiresAt: string | null;
                            sendAt: string | null;
                            createdAt: string;
                            /** @description When its recipients were fixed: for an immediate send to at most 100 users, when it was accepted (their rows are written then) */
                            dispatchedAt: string | null;
                            cancelledAt: string | null;
                            failureReason: string | null;
                            recipients: number;
                            /** @description Recipients by their delivery's status now (each in its latest step). A topic send's or broadcast's are its whole audience, each member with the status its recipient list gives them (`skipped` by their preferences, `queued` until a device of theirs has it, the ending, or their receipt’s) — for an audience of up to 20,000. A larger one is counted by its receipts, the rest of its audience as `queued` (`countsExact` is false) */
                            counts: {
                                queued: number;
                                sent: number;
                                delivered: number;
                                displayed: number;
                                clicked: number;
                                read: number;
                                expired: number;
                                failed: number;
                                cancelled: number;
                                skipped: number;
                            };
                            /** @description False for a topic send or broadcast to more than 20,000 users: its members are not read on each request, so those its preferences skip are counted in `queued`; its recipient list, filtered by status, names them */
                            countsExact: boolean;
                            /** @description Recipients who reached each step, whatever came after: a click that was then read counts as clicked, and one read in the inbox without a popup is not counted as displayed */
                            funnel: {
                                delivered: number;
                                displayed: number;
                                clicked: number;
                                read: number;
                            };
                            /** @description Web Push, by browser */
                            push: {
                                /** @description Browsers of recipients whose tab had it on a socket in time: no push */
                                socket: number;
                                /** @description Browsers a push was posted to (its push service answered, or the network failed under a post); one refused before any post (its host not allowed, keys nothing can be encrypted for) counts in `failed` only */
                                posted: number;
                                /** @description Browsers not posted to: the user's preferences (off, inbox only, quiet hours) or too old to pop up */
                                skipped: number;
                                /** @description Of those, the push service took it (201) */
                                accepted: number;
                                /** @description Herald's service worker showed it */
                                displayed: number;
                                /** @description It was clicked */
                                clicked: number;
                                /** @description Gave up: failed, subscription gone (404/410) or to be renewed after a key rotation */
                                failed: number;
                            };
                        } & {
                            appId: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/notifications/{id}/recipients": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    /** @description nextCursor of the previous page (a user id: the page goes on after it) */
                    cursor?: string;
                    limit?: number;
                    status?: "queued" | "sent" | "delivered" | "displayed" | "clicked" | "read" | "expired" | "failed" | "cancelled" | "skipped";
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                userId: string;
                                /** @description The user's sequence number; null for a topic send or broadcast (in no personal sequence) */
                                seq: number | null;
                                /** @enum {unknown} */
                                status: "queued" | "sent" | "delivered" | "displayed" | "clicked" | "read" | "expired" | "failed" | "cancelled" | "skipped";
                                reason: string | null;
                                queuedAt: string;
                                sentAt: string | null;
                                deliveredAt: string | null;
                                displayedAt: string | null;
                                clickedAt: string | null;
                                readAt: string | null;
                                expiredAt: string | null;
                                failedAt: string | null;
                                /** @description Web Push to each of the user's browsers that has a row for it */
                                push: {
                                    /** @description The push subscription (browser) id */
                                    browser: string;
                                    /** @description socket: a tab had it (no push); pending: posting or retrying; sent: the push service took it; skipped: not posted (the user's preferences, or too old) */
                                    status: "socket" | "pending" | "sent" | "failed" | "gone" | "resubscribe" | "skipped";
                                    attempts: {
                                        at: string;
                                        /** @description The push service's HTTP status; 0 when it did not answer */
                                        status: number;
                                        outcome: string;
                                        detail?: string;
                                    }[];
                                    /** @description What was cut to fit 4 KB: data, body */
                                    trimmed: string[];
                                    sentAt: string | null;
                                    displayedAt: string | null;
                                    clickedAt: string | null;
                                    closedAt: string | null;
                                }[];
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/notifications/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /**
                             * @description `queued`: accepted, waiting for its job. `dispatched`: its recipients are fixed and it went to delivery (their delivery rows say the rest): an immediate send to at most 100 users once its job read it to emit it, a longer list once its fan-out is written, a topic send or broadcast once its job sent it.
                             * @enum {unknown}
                             */
                            status: "queued" | "scheduled" | "processing" | "dispatched" | "cancelled" | "failed" | "expired";
                            /** @description Exactly one of { userId }, { userIds: [...] }, { topic }, { topics: [...] } or { broadcast: true }. A topic send reaches the users in the topic when it is accepted (the topic must exist: 404 HERALD_ERR_TOPIC_NOT_FOUND); a broadcast, every user the app knows at that moment. */
                            to: {
                                /** @description The integrator's user id */
                                userId?: string;
                                /** @description Up to 10,000 entries; a user named twice is one recipient */
                                userIds?: string[];
                                /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                                topic?: string;
                                /** @description Up to 10 topics: a user in several of them gets the notification once; a topic named twice counts once, where it is first named */
                                topics?: string[];
                                /** @enum {boolean} */
                                broadcast?: true;
                            };
                            title: string;
                            body: string | null;
                            icon: string | null;
                            image: string | null;
                            url: string | null;
                            tag: string | null;
                            data: unknown;
                            /** @enum {unknown} */
                            priority: "low" | "normal" | "high";
                            category: string | null;
                            ttlSeconds: number | null;
                            expiresAt: string | null;
                            sendAt: string | null;
                            createdAt: string;
                            /** @description When its recipients were fixed: for an immediate send to at most 100 users, when it was accepted (their rows are written then) */
                            dispatchedAt: string | null;
                            cancelledAt: string | null;
                            failureReason: string | null;
                            recipients: number;
                            /** @description Recipients by their delivery's status now (each in its latest step). A topic send's or broadcast's are its whole audience, each member with the status its recipient list gives them (`skipped` by their preferences, `queued` until a device of theirs has it, the ending, or their receipt’s) — for an audience of up to 20,000. A larger one is counted by its receipts, the rest of its audience as `queued` (`countsExact` is false) */
                            counts: {
                                queued: number;
                                sent: number;
                                delivered: number;
                                displayed: number;
                                clicked: number;
                                read: number;
                                expired: number;
                                failed: number;
                                cancelled: number;
                                skipped: number;
                            };
                            /** @description False for a topic send or broadcast to more than 20,000 users: its members are not read on each request, so those its preferences skip are counted in `queued`; its recipient list, filtered by status, names them */
                            countsExact: boolean;
                            /** @description Recipients who reached each step, whatever came after: a click that was then read counts as clicked, and one read in the inbox without a popup is not counted as displayed */
                            funnel: {
                                delivered: number;
                                displayed: number;
                                clicked: number;
                                read: number;
                            };
                            /** @description Web Push, by browser */
                            push: {
                                /** @description Browsers of recipients whose tab had it on a socket in time: no push */
                                socket: number;
                                /** @description Browsers a push was posted to (its push service answered, or the network failed under a post); one refused before any post (its host not allowed, keys nothing can be encrypted for) counts in `failed` only */
                                posted: number;
                                /** @description Browsers not posted to: the user's preferences (off, inbox only, quiet hours) or too old to pop up */
                                skipped: number;
                                /** @description Of those, the push service took it (201) */
                                accepted: number;
                                /** @description Herald's service worker showed it */
                                displayed: number;
                                /** @description It was clicked */
                                clicked: number;
                                /** @description Gave up: failed, subscription gone (404/410) or to be renewed after a key rotation */
                                failed: number;
                            };
                            /** @description Recipients this request stopped: every recipient of a notification that had not gone out yet, or, once it went out, those no device had acknowledged (catch-up will not send it to them). 0 when cancelling again. */
                            cancelled: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/subscribers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Search subscribers, with who is online now */
        get: {
            parameters: {
                query?: {
                    appId?: string;
                    q?: string;
                    /** @description nextCursor of the previous page */
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                appId: string;
                                userId: string;
                                online: boolean;
                                /** @description The head of the user's personal sequence (their direct sends, and the topics they joined) */
                                lastSeq: number;
                                /** @description How many notifications the user's inbox holds, read or not: direct sends, topic sends and broadcasts (not those their preferences skip, nor one cancelled or expired before it reached them) */
                                notifications: {
                                    count: number;
                                    /** @description Counting stopped at 1,000: there are more */
                                    more: boolean;
                                };
                                createdAt: string;
                                lastSeenAt: string | null;
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/subscribers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A subscriber's inbox and delivery history */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            appId: string;
                            userId: string;
                            online: boolean;
                            /** @description The head of the user's personal sequence (their direct sends, and the topics they joined) */
                            lastSeq: number;
                            /** @description How many notifications the user's inbox holds, read or not: direct sends, topic sends and broadcasts (not those their preferences skip, nor one cancelled or expired before it reached them) */
                            notifications: {
                                count: number;
                                /** @description Counting stopped at 1,000: there are more */
                                more: boolean;
                            };
                            createdAt: string;
                            lastSeenAt: string | null;
                            unread: number;
                            preferences: {
                                /** @description Mode per category key */
                                categories: {
                                    [key: string]: "popup" | "inbox" | "off";
                                };
                                /** @description Mode per topic name */
                                topics: {
                                    [key: string]: "popup" | "inbox" | "off";
                                };
                                quietHours: {
                                    /** @description 24-hour HH:MM */
                                    start: string;
                                    /** @description 24-hour HH:MM */
                                    end: string;
                                    /** @description An IANA time zone, e.g. Europe/Paris */
                                    timeZone: string;
                                } | null;
                                /** @description The keys of `categories` the app made required, in key order (absent when none): their mode is the one that applies, at least `inbox`. An `off` chosen before the category became required shows as `inbox`; it is kept, and applies again if the category stops being required. */
                                required?: string[];
                            };
                            /** @description The user's browsers subscribed to Web Push */
                            browsers: {
                                id: string;
                                /** @description resubscribe: made with a rotated-out key (or refused by its push service): no push until it subscribes again */
                                status: "active" | "resubscribe";
                                /** @description The endpoint's host: which push service (the rest is the browser's secret) */
                                pushService: string;
                                userAgent: string | null;
                                /** @description The page origin it subscribed from */
                                origin: string | null;
                                createdAt: string;
                                /** @description When it last registered (every connect of one of its tabs) */
                                updatedAt: string;
                                lastSuccessAt: string | null;
                                lastError: string | null;
                            }[];
                            inbox: {
                                id: string;
                                /** @description Per-user increasing sequence number: the client's resume cursor */
                                seq: number;
                                title: string;
                                body: string | null;
                                icon: string | null;
                                image: string | null;
                                url: string | null;
                                tag: string | null;
                                data: unknown;
                                /** @enum {unknown} */
                                priority: "low" | "normal" | "high";
                                category: string | null;
                                /**
                                 * Format: date-time
                                 * @description When the notification was accepted
                                 */
                                createdAt: string;
                                expiresAt: string | null;
                                /** @description True when it should go to the inbox without a popup: it is older than the freshness window (a replay after a long disconnect) or was already read on another device; and, in what a device is sent (live or in catch-up), when the user's preferences (`inbox` for its category or topic) or quiet hours, as they are when it is sent, say so. An inbox list pops nothing up: there it says only whether the item is old or read */
                                silent: boolean;
                                readAt: string | null;
                                /** @description True when the catch-up on connect (or an answer to `sync`) sends it and it was accepted before this connection: missed while away. What they send of those accepted since comes without it, as a live one does */
                                replay?: boolean;
                                /** @description Set on a topic send or broadcast: the stream it came through. Such a notification is in no personal sequence; its `seq` is the personal position this device already has, so keeping it moves nothing */
                                stream?: {
                                    /** @description The topic, or `*` for the app's broadcasts */
                                    name: string;
                                    /** @description Its place in that stream: the stream's resume cursor */
                                    seq: number;
                                };
                                /** @enum {unknown} */
                                status: "queued" | "sent" | "delivered" | "displayed" | "clicked" | "read";
                            }[];
                            history: {
                                notificationId: string;
                                title: string;
                                /** @description Null for a topic send or broadcast: in no personal sequence */
                                seq: number | null;
                                /** @enum {unknown} */
                                status: "queued" | "sent" | "delivered" | "displayed" | "clicked" | "read" | "expired" | "failed" | "cancelled" | "skipped";
                                queuedAt: string;
                                deliveredAt: string | null;
                                displayedAt: string | null;
                                clickedAt: string | null;
                                readAt: string | null;
                            }[];
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/apps/{appId}/topics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An app's topics, with their sizes */
        get: {
            parameters: {
                query?: {
                    /** @description nextCursor of the previous page (a topic name; 400 HERALD_ERR_CURSOR_INVALID otherwise) */
                    cursor?: string;
                    limit?: number;
                    /** @description Only topics starting with this */
                    prefix?: string;
                };
                header?: never;
                path: {
                    appId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topics: {
                                topic: string;
                                subscribers: number;
                                /** @description Users may subscribe themselves from the SDK */
                                public: boolean;
                                /** Format: date-time */
                                createdAt: string;
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/apps/{appId}/topics/{topic}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One topic, a page of its members, and its latest sends */
        get: {
            parameters: {
                query?: {
                    /** @description nextCursor of the previous page (a user id: the page goes on after it) */
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path: {
                    appId: string;
                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                    topic: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topic: {
                                topic: string;
                                subscribers: number;
                                /** @description Users may subscribe themselves from the SDK */
                                public: boolean;
                                /** Format: date-time */
                                createdAt: string;
                            };
                            members: {
                                topic: string;
                                subscribers: {
                                    userId: string;
                                    /** Format: date-time */
                                    subscribedAt: string;
                                }[];
                                nextCursor: string | null;
                            };
                            /** @description The latest 20 sends to the topic, newest first */
                            recentSends: {
                                id: string;
                                title: string;
                                /**
                                 * @description The send's status, not a recipient's: `scheduled` (waiting for its `sendAt`), `queued` (for a worker), `processing` (being sent), `dispatched` (it went out to every recipient's open devices: who had it is in its counts), `cancelled`, `failed` (after its last attempt) or `expired` (its ttl ran out before it went out)
                                 * @enum {unknown}
                                 */
                                status: "queued" | "scheduled" | "processing" | "dispatched" | "cancelled" | "failed" | "expired";
                                /** @description Its users when it was accepted */
                                recipients: number;
                                createdAt: string;
                                sendAt: string | null;
                            }[];
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a topic and its subscriptions */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appId: string;
                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                    topic: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topic: string;
                            /** @enum {boolean} */
                            deleted: true;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Create a topic, or change whether users may subscribe themselves */
        patch: {
            parameters: {
                query?: never;
                header?: {
                    /** @description `*`: create it only; if it exists already, 412 (`HERALD_ERR_…_EXISTS`) and nothing changes */
                    "if-none-match"?: string;
                };
                path: {
                    appId: string;
                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                    topic: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Whether users may subscribe themselves from the SDK (Herald.subscribe). Otherwise only your backend can, or a user whose token's `topics` claim grants the topic. A new topic is not public. */
                        public?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topic: string;
                            subscribers: number;
                            /** @description Users may subscribe themselves from the SDK */
                            public: boolean;
                            /** Format: date-time */
                            createdAt: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Its precondition failed: If-None-Match: * and it already exists */
                412: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/admin/api/apps/{appId}/topics/{topic}/subscribers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add users to a topic */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appId: string;
                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                    topic: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The users to add or remove (1 to 1000 entries; a user named twice counts once) */
                        userIds: string[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topic: string;
                            /** @description How many of the users this call added (or removed); the others already were (or were not) in it */
                            changed: number;
                            /** @description The topic's size afterwards */
                            subscribers: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/apps/{appId}/topics/{topic}/subscribers/remove": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Take users out of a topic */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appId: string;
                    /** @description A topic of the app, such as news, project:42 or team/alpha: 1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *). In a path, encode "/" as %2F. */
                    topic: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The users to add or remove (1 to 1000 entries; a user named twice counts once) */
                        userIds: string[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topic: string;
                            /** @description How many of the users this call added (or removed); the others already were (or were not) in it */
                            changed: number;
                            /** @description The topic's size afterwards */
                            subscribers: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/apps/{appId}/categories": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An app's categories */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            categories: {
                                key: string;
                                name: string;
                                description: string | null;
                                /** @enum {unknown} */
                                defaultMode: "popup" | "inbox" | "off";
                                /** @description Users cannot turn it off (their `off` counts as `inbox`) */
                                required: boolean;
                                /** Format: date-time */
                                createdAt: string;
                            }[];
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/apps/{appId}/categories/{category}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Create a category, or change it */
        put: {
            parameters: {
                query?: never;
                header?: {
                    /** @description `*`: create it only; if it exists already, 412 (`HERALD_ERR_…_EXISTS`) and nothing changes */
                    "if-none-match"?: string;
                };
                path: {
                    appId: string;
                    category: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        description?: null | string;
                        /** @enum {unknown} */
                        defaultMode?: "popup" | "inbox" | "off";
                        /** @description Users cannot turn it off: their `off`, for it or its topic, counts as `inbox` */
                        required?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            key: string;
                            name: string;
                            description: string | null;
                            /** @enum {unknown} */
                            defaultMode: "popup" | "inbox" | "off";
                            /** @description Users cannot turn it off (their `off` counts as `inbox`) */
                            required: boolean;
                            /** Format: date-time */
                            createdAt: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Its precondition failed: If-None-Match: * and it already exists */
                412: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        post?: never;
        /** Delete a category */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appId: string;
                    category: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            category: string;
                            /** @enum {boolean} */
                            deleted: true;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/queue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Queue counts, failed jobs and the delayed jobs due soonest
         * @description Kept in Redis: a 503 HERALD_ERR_REDIS_UNAVAILABLE while Redis is down or does not answer.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Jobs per state */
                            counts: {
                                [key: string]: number;
                            };
                            /** @description The 50 most recent failed jobs */
                            failed: {
                                id?: string;
                                name: string;
                                notificationId?: string;
                                failedReason: string;
                                attemptsMade: number;
                                failedAt: string | null;
                            }[];
                            /** @description The 50 delayed jobs due soonest: scheduled sends (each due at its `sendAt`), and jobs waiting to retry after a failed attempt (due when their backoff ends) */
                            delayed: {
                                id?: string;
                                name: string;
                                notificationId?: string;
                                dueAt: string | null;
                                /** @description Attempts already made: 0 for a scheduled send */
                                attemptsMade: number;
                                /** @description Why its last attempt failed, for a job waiting to retry; null for a scheduled send's */
                                lastFailure: string | null;
                            }[];
                        };
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Redis, the queue or the database is unavailable; `code` says which, and whether anything was stored */
                503: {
                    headers: {
                        /** @description Seconds to wait before retrying, where one is known */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/queue/jobs/{jobId}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Retry a failed job */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    jobId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            ok: true;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Redis, the queue or the database is unavailable; `code` says which, and whether anything was stored */
                503: {
                    headers: {
                        /** @description Seconds to wait before retrying, where one is known */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/queue/jobs/{jobId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a job that is not running */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    jobId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            ok: true;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Redis, the queue or the database is unavailable; `code` says which, and whether anything was stored */
                503: {
                    headers: {
                        /** @description Seconds to wait before retrying, where one is known */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    /** @description nextCursor of the previous page, unchanged (400 HERALD_ERR_CURSOR_INVALID otherwise) */
                    cursor?: string;
                    /** @description Entries whose action starts with this */
                    action?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                at: string;
                                actor: string;
                                action: string;
                                targetType: string | null;
                                targetId: string | null;
                                details: unknown;
                                ip: string | null;
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/admins": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Dashboard accounts and their roles */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            email: string;
                            /** @enum {unknown} */
                            role: "owner" | "admin" | "viewer";
                            createdAt: string;
                            lastLoginAt: string | null;
                        }[];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        put?: never;
        /** Add an admin (owners only) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    /**
                     * @example {
                     *       "email": "ops@example.com",
                     *       "password": "a long passphrase",
                     *       "role": "viewer"
                     *     }
                     */
                    "application/json": {
                        email: string;
                        password: string;
                        /** @enum {unknown} */
                        role: "owner" | "admin" | "viewer";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            email: string;
                            /** @enum {unknown} */
                            role: "owner" | "admin" | "viewer";
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/admins/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove an admin (owners only; never the last owner) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            ok: true;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Signed in, but your role cannot do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It does not exist (in this app) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description It cannot be done in its current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/demo/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start a demo session
         * @description A throwaway user id and a one-hour token for it, in an app of its own. 20 calls a minute per address.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            appId: string;
                            userId: string;
                            token: string;
                            expiresAt: string;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/demo/send": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a test notification to the demo visitor
         * @description To the user of the token from `POST /demo/session`, only. With `{ "delaySeconds": n }` (0 to 60) it is scheduled that far ahead, so the visitor can close the tab and get it through Web Push. 20 calls a minute per address.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Send it this many seconds from now (long enough to close the tab first) */
                        delaySeconds?: number;
                    } | null;
                };
            };
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            status: string;
                            recipients: number;
                        };
                    };
                };
                /** @description The request is not valid; `code` says how and `message` what to change */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Credentials are missing or not valid (they are checked before anything else) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is larger than HERALD_BODY_LIMIT */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description The body is not JSON, or is compressed (`code` says which) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Too many requests; wait and retry */
                429: {
                    headers: {
                        /** @description Seconds to wait before retrying, when waiting helps */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
                /** @description Redis, the queue or the database is unavailable; `code` says which, and whether anything was stored */
                503: {
                    headers: {
                        /** @description Seconds to wait before retrying, where one is known */
                        "retry-after"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ErrorResponse"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** Error */
        ErrorResponse: {
            statusCode: number;
            /** @description Stable machine-readable code, HERALD_ERR_* */
            code: string;
            /** @description HTTP reason phrase */
            error: string;
            /** @description What went wrong and what to do, in a sentence */
            message: string;
            /** @description Per-field problems, for validation errors */
            details?: {
                path: string;
                message: string;
            }[];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
