export * from './items';
export * from './oauth';
export * from './users';
