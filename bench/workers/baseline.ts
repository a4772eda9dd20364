import { Hono } from 'hono';

/** The baseline: bare Hono answering "hello", bundled and served exactly like the app. */
const app = new Hono();
app.get('/', (c) => c.text('hello'));

export default app;
