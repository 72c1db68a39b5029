// The fake backend's state: a plain in-memory store that keeps what the
// commands write and gives it back. It does not judge: a refusal the vault
// would make (missing consent, no enrollment, a rule on a passphrase) or an
// answer that needs the vault's rules is scripted by the test that wants it
// (`mock.fail`, `mock.answer`, ./command.ts). Four facts answer by
// themselves: a locked store answers `locked`, a passphrase opens what it
// was set for, enrollment refuses what is not an enrollment code, and
// forgetting refuses a case whose latest submission OMCT's desk has not
// acknowledged.

import { AppError } from '../errors';
import type {
  AppMode,
  AppState,
  CustodyRow,
  DeskCaseView,
  DeskDevice,
  DeviceInfo,
  DuressOutcome,
  ErrorCode,
  ItemId,
  MessageView,
  OutboxRow,
  RecordKind,
  StatsCell,
} from '../types';

export interface Stored {
  kind: RecordKind | 'case' | 'evidence';
  revision: number;
  record: unknown;
}

/** What one passphrase opens: records (in the order written), custody log, submissions. */
export interface Vault {
  items: Map<ItemId, Stored>;
  custody: CustodyRow[];
  outbox: OutboxRow[];
  messages: MessageView[];
}

/** OMCT's desk, in desk mode: what its passphrase opens. */
export interface DeskStore {
  passphrase: string;
  server: string;
  /** Received cases by their id in the store. */
  cases: Map<string, DeskCaseView>;
  /** What the next pull brings. */
  arriving: DeskCaseView[];
  devices: DeskDevice[];
  rootFingerprint: string;
  rootWords: string;
  warnings: string[];
  stats: StatsCell[];
  /** Folders cases were exported to, and files the figures were written to. */
  exports: string[];
  statsExports: string[];
}

export type Scripted = { error: ErrorCode; message: string } | { value: unknown };

function fresh() {
  return {
    /** Each passphrase and the store it opens: the vault's own, a duress passphrase's spare. */
    vaults: new Map<string, Vault>(),
    /** The vault's own passphrase. */
    passphrase: '',
    duress: null as { passphrase: string; outcome: DuressOutcome } | null,
    /** The store open now; null while locked. */
    open: null as Vault | null,
    attemptLimit: null as number | null,
    forgetAfterDelivery: false,
    /** Backup files written, by path (outside the vault, so a wipe leaves them): the vault's own store, and what opens it. */
    backups: new Map<string, { recovery: string; passphrase: string; vault: Vault }>(),
    neutral: false,
    /** What the computer may write of memory to disk (tests set risks). */
    memory: { unencrypted_swap: false, unknown_swap: false, hibernation: false, keys_locked: true } as AppState['memory'],
    /** What unlock found wrong with the open vault (tests set it). */
    damage: { damaged: 0, rolled_back: 0 } as AppState['damage'],
    language: 'en',
    /** What the installation is for (settings.json); tests start as a field installation unless they say. */
    mode: 'field' as AppMode | null,
    /** The desk in this installation's desk folder, and whether it is open. */
    desk: null as DeskStore | null,
    deskOpen: false,
    autoLock: 5,
    demo: null as AppState['demo'],
    device: { key_id: 'RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3', enrolled: false, server: null, proxy: null } as DeviceInfo,
    /** Milliseconds between the steps of an import or a delivery. */
    delay: 0,
    picked: ['/home/defender/Pictures/injury-gps.jpg'],
    folder: '/media/usb-stick' as string | null,
    /** Files an import cannot read. */
    unreadable: new Set<string>(),
    /** Why the next delivery attempt fails, if it is to fail. */
    deliveryError: null as string | null,
    /** OMCT's desk accepts every delivered bundle a moment later by itself (`vite dev`); tests say when (`mock.acknowledge`). */
    autoAcknowledge: false,
    custodyProblems: [] as string[],
    seedOnCreate: false,
    touches: 0,
    calls: [] as string[],
    script: new Map<string, Scripted[]>(),
  };
}

export type State = ReturnType<typeof fresh>;

export let state: State = fresh();

/** A new state; `keep` carries over what a wipe does not reach. */
export function renew(keep: Partial<State> = {}): void {
  state = { ...fresh(), ...keep };
}

export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function emptyVault(): Vault {
  return { items: new Map(), custody: [], outbox: [], messages: [] };
}

export function copyVault(v: Vault): Vault {
  return { items: new Map([...v.items].map(([id, s]) => [id, clone(s)])), custody: clone(v.custody), outbox: clone(v.outbox), messages: clone(v.messages) };
}

/** The open desk, or the error a missing or locked desk gives. */
export function openDesk(): DeskStore {
  if (!state.desk) throw new AppError('not_found', 'there is no desk in this installation yet');
  if (!state.deskOpen) throw new AppError('locked', 'the desk is locked');
  return state.desk;
}

/** The open store, or the error a missing or locked vault gives. */
export function vault(): Vault {
  if (state.vaults.size === 0) throw new AppError('no_vault', 'there is no vault yet');
  if (!state.open) throw new AppError('locked', 'the vault is locked');
  return state.open;
}

/** A setting stored as given. */
export function setting<K extends keyof State>(key: K) {
  return async (value: State[K]): Promise<null> => {
    state[key] = value;
    return null;
  };
}
