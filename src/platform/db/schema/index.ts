export * from './items';
export * from './users';
