export * from './audit';
export * from './auth';
export * from './items';
export * from './oauth';
export * from './posts';
export * from './rbac';
export * from './users';
