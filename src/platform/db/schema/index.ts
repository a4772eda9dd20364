export * from './rbac';
export * from './users';
