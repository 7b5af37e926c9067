import { createContext } from '@lit/context';
import type { Api, Me } from './api.js';
import type { LiveFeed } from './live.js';

/** Services handed down the component tree. */
export interface Services {
  api: Api;
  live: LiveFeed;
  me: Me;
}

/** Undefined until an admin signs in. */
export const servicesContext = createContext<Services | undefined>(Symbol('herald-services'));
