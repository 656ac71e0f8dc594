/** An error answered to the client as `{ok: 0, errmsg, code, codeName, ...extra}`. */
export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly errorLabels: string[] = [],
  ) {
    super(message);
  }
}

export const badValue = (msg: string) => new CommandError(2, 'BadValue', msg);
export const typeMismatch = (msg: string) => new CommandError(14, 'TypeMismatch', msg);
export const pathNotViable = (msg: string) => new CommandError(28, 'PathNotViable', msg);
export const conflictingUpdateOperators = (msg: string) => new CommandError(40, 'ConflictingUpdateOperators', msg);
export const namespaceNotFound = (msg: string) => new CommandError(26, 'NamespaceNotFound', msg);
export const indexNotFound = (msg: string) => new CommandError(27, 'IndexNotFound', msg);
export const cursorNotFound = (id: string) => new CommandError(43, 'CursorNotFound', `cursor id ${id} not found`);
export const namespaceExists = (msg: string) => new CommandError(48, 'NamespaceExists', msg);
export const commandNotFound = (name: string) =>
  new CommandError(59, 'CommandNotFound', `no such command: '${name}'`);
export const immutableField = (msg: string) => new CommandError(66, 'ImmutableField', msg);
export const invalidNamespace = (msg: string) => new CommandError(73, 'InvalidNamespace', msg);
export const indexOptionsConflict = (msg: string) => new CommandError(85, 'IndexOptionsConflict', msg);
export const indexKeySpecsConflict = (msg: string) => new CommandError(86, 'IndexKeySpecsConflict', msg);
/** Raised inside transactions; the label makes drivers' withTransaction retry the whole transaction. */
export const writeConflict = () =>
  new CommandError(
    112,
    'WriteConflict',
    'Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.',
    {},
    ['TransientTransactionError'],
  );
export const noSuchTransaction = (txnNumber: number) =>
  new CommandError(251, 'NoSuchTransaction', `Transaction with { txnNumber: ${txnNumber} } has been aborted.`, {}, [
    'TransientTransactionError',
  ]);
export const notImplemented = (msg: string) => new CommandError(238, 'NotImplemented', `embedded-mongo: ${msg}`);
export const unknownField = (command: string, field: string) =>
  new CommandError(40415, 'Location40415', `BSON field '${command}.${field}' is an unknown field.`);
export const failedToParse = (msg: string) => new CommandError(9, 'FailedToParse', msg);
export const transactionTooOld = (msg: string) => new CommandError(225, 'TransactionTooOld', msg);

/** Turns anything thrown while executing a command into a command error (mingo throws plain Errors). */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CommandError(2, 'BadValue', message);
}
