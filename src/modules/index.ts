import { auditModule } from './audit/audit.index';
import { authModule } from './auth/auth.index';
import { healthModule } from './health/health.index';
import { itemsModule } from './items/items.index';
import { jobsModule } from './jobs/jobs.index';
import { oauthModule } from './oauth/oauth.index';
import { postsModule } from './posts/posts.index';
import { rbacModule } from './rbac/rbac.index';
import { usersModule } from './users/users.index';

// #region modules
/**
 * Every module of the app, mounted under `API_V1_PREFIX` in this order. A new module is a
 * folder under `src/modules/` with its manifest (`defineModule`), imported and listed here.
 */
export const MODULES = [
  healthModule,
  authModule,
  usersModule,
  rbacModule,
  itemsModule,
  postsModule,
  oauthModule,
  auditModule,
  jobsModule,
] as const;
// #endregion modules
