import { rateLimit } from '../../middleware/rate-limit';

/** Per client IP on both steps of the flow; closed when Redis is unreachable, as login is. */
export const limits = {
  flow: [rateLimit({ name: 'oauth-ip', limit: 30, window: '5 m', key: 'ip', failure: 'closed' })],
};
