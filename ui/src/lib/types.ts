// The data that crosses the IPC boundary, as the interface holds it. Every
// type comes from the bindings tauri-specta generates from the Rust side
// (../bindings): what Rust sends (the `_Serialize` variants), with the
// vocabulary codes widened to strings, since the interface takes its codes
// from the `vocabulary` command and Rust refuses one it does not know.
// Written here by hand: only what the bindings cannot say.

import type * as B from '../bindings';

/** The codes the `vocabulary` command lists, which the interface holds as plain strings. */
type VocabularyCode =
  | B.Role
  | B.Vulnerability
  | B.ViolationType
  | B.Method
  | B.PlaceType
  | B.ConsentScope
  | B.ConsentMethod
  | B.CaseStatus
  | B.Gender
  | B.FollowUpKind
  | B.FollowUpStatus
  | B.PerpetratorKind
  | B.Institution
  | B.Involvement
  | B.DetentionStatus
  | B.Access
  | B.ProceedingStage
  | B.ProceedingOutcome
  | B.AssistanceDecision;

/**
 * `T` with its vocabulary codes widened to `string`; every field name, tag
 * and shape stays the Rust one.
 */
export type Loose<T> = T extends VocabularyCode
  ? string
  : T extends (infer U)[]
    ? Loose<U>[]
    : T extends object
      ? { [K in keyof T]: Loose<T[K]> }
      : T;

export type ItemId = string;
export type PartialDate = B.PartialDate;
export type ErrorCode = B.ErrorCode;

// Every code of the generated union, at run time: a code added or removed
// in Rust fails the type check here (missing or excess property).
const CODES = {
  wrong_passphrase: true,
  empty_passphrase: true,
  weak_passphrase: true,
  locked: true,
  no_vault: true,
  vault_exists: true,
  not_found: true,
  invalid_input: true,
  damaged: true,
  not_enrolled: true,
  network: true,
  untrustworthy: true,
  consent: true,
  io: true,
  busy: true,
  internal: true,
} as const satisfies Record<ErrorCode, true>;
export const ERROR_CODES = Object.keys(CODES) as readonly ErrorCode[];

// --- app and vault ---------------------------------------------------------

export type DemoInfo = B.DemoInfo;
export type AppState = B.AppState_Serialize;
export type MemoryNotice = B.MemoryNotice;
export type DamageNotice = B.DamageNotice;
export type SecuritySettings = B.SecuritySettings_Serialize;
export type ForgetResult = B.ForgetResult;
export type DuressOutcome = B.DuressChoice;
export type BackupResult = B.BackupResult;
/** ipc.ts turns a missing estimate into 0. */
export type Strength = B.Strength_Serialize & { guesses_log10: number };
export type Vocabulary = B.Vocabulary;

// --- cases and records -----------------------------------------------------

export type Entry<T> = B.Entry<T>;
export type Case = Loose<B.Case_Serialize>;
export type Participant = Loose<B.Participant_Serialize>;
export type Person = Loose<B.Person_Serialize>;
export type Testimony = Loose<B.Testimony_Serialize>;
export type Violation = Loose<B.Violation_Serialize>;
export type Place = Loose<B.Place_Serialize>;
export type Perpetrator = Loose<B.Perpetrator_Serialize>;
export type FollowUp = Loose<B.FollowUp_Serialize>;
export type Consent = Loose<B.Consent_Serialize>;
export type Detention = Loose<B.Detention_Serialize>;
export type Proceeding = Loose<B.Proceeding_Serialize>;
export type Assistance = Loose<B.Assistance_Serialize>;
export type Withdrawal = Loose<B.Withdrawal_Serialize>;
export type AnyRecord = Loose<B.AnyRecord_Serialize>;
export type RecordKind = AnyRecord['kind'];
export type DeliveryState = B.DeliveryState;
export type CaseFilter = Loose<B.CaseFilter_Serialize>;
export type CaseSummary = Loose<B.CaseSummary>;
export type CaseDetail = Loose<B.CaseDetail_Serialize>;

// --- evidence --------------------------------------------------------------

export type EvidenceSummary = B.EvidenceSummary_Serialize;
export type EvidenceRecord = B.Evidence_Serialize;
export type EvidenceDetail = B.EvidenceDetail_Serialize;
export type Operation = B.Operation;
export type Cover = B.CoverChoice;
/** A rectangle as fractions (0..1) of the upright preview: always numbers on this side. */
export type Region = { [K in keyof B.FractionRect]: number };
export type CustodyRow = B.CustodyRow_Serialize;
export type CustodyView = B.CustodyView_Serialize;

// --- handover --------------------------------------------------------------

export type OutboxRow = B.OutboxRow_Serialize;
export type MessageView = B.MessageView_Serialize;
export type UnreadMessages = B.UnreadMessages;
/** OMCT's desk's signed word on a delivered bundle: accepted (received by OMCT) or flagged, with reasons. */
export type Acknowledgement = B.AcknowledgementView;
export type DeviceInfo = B.DeviceInfo_Serialize;
export type ExportResult = B.ExportResult;
/** What an exported bundle is for: OMCT's files and litigation carry the originals; publication carries working copies only. */
export type ExportPurpose = B.ExportPurpose;
/** What a document drafted from a case is: an urgent appeal, a CAT or Human Rights Committee complaint, an assistance request. */
export type DossierKind = B.DossierKind;
export type DossierResult = B.DossierResult_Serialize;

// --- OMCT's desk -----------------------------------------------------------

/** What the installation is for: documenting cases, or OMCT's desk receiving them. */
export type AppMode = B.AppMode;
export type DeskCaseRow = B.DeskCaseRow_Serialize;
/** A received case read whole, its records with vocabulary codes as strings, as the field side holds them. */
export type DeskCaseView = Loose<B.DeskCaseView_Serialize>;
export type DeskEntry<T> = B.DeskEntry<T>;
export type DeskEvidence = B.DeskEvidence_Serialize;
export type DeskVersion = B.DeskVersion_Serialize;
export type DeskSigner = B.DeskSigner_Serialize;
export type DeskMessageView = B.DeskMessageView_Serialize;
export type DeskTriageStep = B.DeskTriageStep_Serialize;
export type DeskWithheld = B.DeskWithheld;
export type DeskChange = B.DeskChange;
export type DeskCheck = B.DeskCheck;
export type DeskFileView = B.DeskFileView;
export type DeskPullReport = B.DeskPullReport;
export type DeskDevice = B.DeskDevice_Serialize;
export type DeskDevices = B.DeskDevices_Serialize;
export type DeskCode = B.DeskCode;
export type QrMatrix = B.QrMatrix;
/** One cell of the figures; `victims` null means under 5, never a number. */
export type StatsCell = B.StatsCell_Serialize;

// --- events ----------------------------------------------------------------

export type ImportProgress = B.ImportProgress;
export type ImportFailure = B.ImportFailure;
export type ImportDone = B.ImportDone;
/** Why the vault locked (the `locked` event's reason, which Rust sends as text). */
export type LockReason = 'user' | 'idle' | 'panic';

/** Files dragged onto the window (Tauri's webview event, not a command). */
export interface DragDrop {
  type: 'enter' | 'over' | 'drop' | 'leave';
  paths: string[];
  /** CSS pixels in the window, when the platform tells. */
  position: { x: number; y: number } | null;
}

export type Unsubscribe = () => void;
