/**
 * herald-sw.js: Herald's service worker, a classic script. A site serves a worker of its own that
 * imports it (`importScripts('https://<herald>/herald-sw.js')`), or adds that line to the worker it
 * already has: Herald handles only its own pushes, notifications and subscription.
 */
import { heraldDb } from '../push/db.js';
import { heraldWorker, type WorkerScope } from './worker.js';

heraldWorker(self as unknown as WorkerScope, heraldDb());
