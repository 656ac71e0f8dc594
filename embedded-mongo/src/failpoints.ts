import { CommandError, typeMismatch } from './errors';
import { Doc, isPlainObject } from './values';

/**
 * mongod's test fail points that drivers' specification tests use (`configureFailPoint`, which mongod only
 * accepts with `enableTestCommands`): `failCommand` answers chosen commands with an error, a write concern
 * error, a delay or a closed connection; `onPrimaryTransactionalWrite` closes the connection after a retryable
 * write is applied (the reply is lost) or fails it before it applies. When none is set, a command pays one
 * property read (`FailPoints.active`).
 */

type Mode = { kind: 'alwaysOn' } | { kind: 'times'; left: number } | { kind: 'skip'; left: number } | { kind: 'probability'; p: number };

interface FailPoint {
  mode: Mode;
  data: Doc;
}

const NAMES = new Set(['failCommand', 'onPrimaryTransactionalWrite']);

/** Codes mongod counts as retryable (network, not-primary and shutdown errors). */
const RETRYABLE_CODES = new Set([6, 7, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
/** Errors that make a transaction safe to retry from the start, on any of its commands (WriteConflict, LockTimeout…). */
const TRANSIENT_CODES = new Set([112, 24, 267]);

export interface CommandInfo {
  name: string;
  /** The client's `appName` from its handshake on this connection. */
  appName?: string;
  /** lsid + txnNumber without autocommit. */
  retryableWrite: boolean;
  inTransaction: boolean;
}

/** What `failCommand` does to one command. */
export interface FailCommandAction {
  closeConnection: boolean;
  blockTimeMS: number;
  error?: CommandError;
  writeConcernError?: { error: Doc; labels: string[] };
}

export class FailPoints {
  private readonly points = new Map<string, FailPoint>();
  /** Times each fail point fired over the server's life (the `count` configureFailPoint answers, as mongod's timesEntered). */
  private readonly entered = new Map<string, number>();
  /** Set while any fail point is on: the only thing a command checks when none is. */
  active = false;

  /** `configureFailPoint`: answers the number of times the point had fired. */
  configure(cmd: Doc): Doc {
    const name = cmd.configureFailPoint;
    if (typeof name !== 'string') throw typeMismatch("'configureFailPoint' must be a string");
    if (!NAMES.has(name)) throw new CommandError(266, 'FailPointSetFailed', `${name} not found`);
    const count = this.entered.get(name) ?? 0;
    const mode = parseMode(cmd.mode);
    if (mode) {
      const data = cmd.data === undefined ? {} : cmd.data;
      if (!isPlainObject(data)) throw typeMismatch("'data' must be an object");
      this.points.set(name, { mode, data });
    } else this.points.delete(name);
    this.active = this.points.size > 0;
    return { count, ok: 1 };
  }

  /** Consumes one activation of `name` if it is on and `applies`; mode counters move only for applicable commands. */
  private fire(name: string, applies: (data: Doc) => boolean): Doc | undefined {
    const point = this.points.get(name);
    if (!point || !applies(point.data)) return undefined;
    const mode = point.mode;
    if (mode.kind === 'skip' && mode.left > 0) {
      mode.left--;
      return undefined;
    }
    if (mode.kind === 'probability' && Math.random() >= mode.p) return undefined;
    if (mode.kind === 'times') {
      if (--mode.left <= 0) this.points.delete(name);
      this.active = this.points.size > 0;
    }
    this.entered.set(name, (this.entered.get(name) ?? 0) + 1);
    return point.data;
  }

  /** The `failCommand` action for a command, if the fail point is on and names it. */
  failCommand(info: CommandInfo): FailCommandAction | undefined {
    const data = this.fire('failCommand', (d) => {
      if (!Array.isArray(d.failCommands) || !d.failCommands.includes(info.name)) return false;
      if (typeof d.appName === 'string' && d.appName !== info.appName) return false;
      return d.closeConnection === true || d.errorCode !== undefined || d.blockConnection === true || isPlainObject(d.writeConcernError);
    });
    if (!data) return undefined;
    const action: FailCommandAction = {
      closeConnection: data.closeConnection === true,
      blockTimeMS: data.blockConnection === true ? Number(data.blockTimeMS ?? 0) : 0,
    };
    const explicitLabels = Array.isArray(data.errorLabels) ? data.errorLabels.map(String) : undefined;
    if (data.errorCode !== undefined) {
      const code = Number(data.errorCode);
      action.error = new CommandError(code, codeNameOf(code), "Failing command via 'failCommand' failpoint", {}, explicitLabels ?? labelsFor(code, info));
    } else if (isPlainObject(data.writeConcernError)) {
      const code = Number(data.writeConcernError.code ?? 0);
      const retryable = (info.retryableWrite || isCommitOrAbort(info.name)) && RETRYABLE_CODES.has(code);
      action.writeConcernError = { error: data.writeConcernError, labels: explicitLabels ?? (retryable ? ['RetryableWriteError'] : []) };
    }
    return action;
  }

  /**
   * `onPrimaryTransactionalWrite` for a retryable write: undefined when off; otherwise the error to fail it with
   * before it applies (`failBeforeCommitExceptionCode`), or 'close' to apply it and then drop the connection
   * (`closeConnection`, on unless set false).
   */
  onTransactionalWrite(): CommandError | 'close' | 'none' | undefined {
    const data = this.fire('onPrimaryTransactionalWrite', () => true);
    if (!data) return undefined;
    if (data.failBeforeCommitExceptionCode !== undefined) {
      const code = Number(data.failBeforeCommitExceptionCode);
      return new CommandError(code, codeNameOf(code), "Failing write via 'onPrimaryTransactionalWrite' failpoint", {}, RETRYABLE_CODES.has(code) ? ['RetryableWriteError'] : []);
    }
    return data.closeConnection === false ? 'none' : 'close';
  }
}

function parseMode(mode: unknown): Mode | undefined {
  if (mode === 'off') return undefined;
  if (mode === 'alwaysOn') return { kind: 'alwaysOn' };
  if (isPlainObject(mode)) {
    const [key] = Object.keys(mode);
    const n = Number(mode[key]);
    if (Object.keys(mode).length === 1 && Number.isFinite(n)) {
      if (key === 'times') return n > 0 ? { kind: 'times', left: n } : undefined;
      if (key === 'skip' && n >= 0) return { kind: 'skip', left: n };
      if (key === 'activationProbability' && n >= 0 && n <= 1) return { kind: 'probability', p: n };
    }
  }
  throw new CommandError(2, 'BadValue', "'mode' must be 'off', 'alwaysOn', {times: n}, {skip: n} or {activationProbability: p}");
}

const isCommitOrAbort = (name: string) => name === 'commitTransaction' || name === 'abortTransaction';

/** The labels mongod attaches to an error of this code on this command, when the fail point names none. */
function labelsFor(code: number, info: CommandInfo): string[] {
  const labels: string[] = [];
  const retryable = RETRYABLE_CODES.has(code);
  if (info.inTransaction) {
    // on a statement a retryable error is transient too; on commit/abort it is not (the commit may have happened)
    if (TRANSIENT_CODES.has(code) || code === 251 || (retryable && !isCommitOrAbort(info.name))) labels.push('TransientTransactionError');
  }
  if (retryable && (info.retryableWrite || isCommitOrAbort(info.name))) labels.push('RetryableWriteError');
  return labels;
}

const CODE_NAMES: Record<number, string> = {
  2: 'BadValue', 6: 'HostUnreachable', 7: 'HostNotFound', 11: 'UserNotFound', 24: 'LockTimeout', 50: 'MaxTimeMSExpired',
  64: 'WriteConcernFailed', 89: 'NetworkTimeout', 91: 'ShutdownInProgress', 100: 'UnsatisfiableWriteConcern', 112: 'WriteConflict',
  134: 'ReadConcernMajorityNotAvailableYet', 189: 'PrimarySteppedDown', 251: 'NoSuchTransaction', 262: 'ExceededTimeLimit',
  267: 'PreparedTransactionInProgress', 9001: 'SocketException', 10107: 'NotWritablePrimary', 11000: 'DuplicateKey',
  11600: 'InterruptedAtShutdown', 11602: 'InterruptedDueToReplStateChange', 13435: 'NotPrimaryNoSecondaryOk', 13436: 'NotPrimaryOrSecondary',
};

const codeNameOf = (code: number) => CODE_NAMES[code] ?? `Location${code}`;
