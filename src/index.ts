import { type App, createApp } from './app';
import { MODULES } from './modules/index';
import { scheduledHandler } from './modules/jobs/jobs.cron';

const apps = new Map<string, App>();

/** One app per API prefix, built on the isolate's first request rather than at startup. */
function appFor(env: Env): App {
  const prefix = env.API_V1_PREFIX || '/api/v1';
  let app = apps.get(prefix);
  if (!app) {
    app = createApp(prefix);
    apps.set(prefix, app);
  }
  return app;
}

export default {
  fetch(request, env, ctx) {
    return appFor(env).fetch(request, env, ctx);
  },
  scheduled: scheduledHandler(MODULES),
} satisfies ExportedHandler<Env>;
