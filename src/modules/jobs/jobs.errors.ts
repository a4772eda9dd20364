import { type Codes, defineErrors } from '../../lib/errors';

/** QStash deliveries to `POST /jobs/{task}`. */
export const jobsErrors = defineErrors({
  JOB_SIGNATURE_INVALID: { status: 401, title: 'Missing or invalid QStash signature' },
  JOB_IN_PROGRESS: { status: 409, title: 'Another delivery of this message is running' },
});

declare module '../../lib/errors' {
  interface ErrorCatalogue extends Codes<typeof jobsErrors> {}
}
