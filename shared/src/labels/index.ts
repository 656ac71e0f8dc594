// The one dictionary of what people read for the product's enum values (statuses, roles, kinds, actions).
export * from './enums';
export * from './audit';
