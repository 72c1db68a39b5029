// An in-memory fake of the Rust backend with the same exported API as
// ipc.ts (a test compares them, and the compiler checks the types), for
// Vitest and for `vite dev` outside the Tauri window; production builds never
// include it. It is a plain store, not a second copy of the vault's rules:
// refusals and rule-made answers are scripted by the tests (`mock.fail`,
// `mock.answer`). Its vocabularies are the Rust side's (vocabulary.json).
// OMCT's desk (desk mode) is a fake desk of its own, seeded with received
// cases, devices and figures (mock/desk.ts, mock/desk-seed.ts).

export { mock, type MockOptions } from './mock/control';
export { appState, passphraseStrength, vaultCreate, vaultUnlock, vaultLock, panicWipe, touch, ping, vocabulary } from './mock/vault';
export { setLanguage, setAutoLock, setNeutral, clipboardCopied, securitySettings, setAttemptLimit, setForgetAfterDelivery } from './mock/vault';
export { setDuress, removeDuress, backupCreate, backupRestore } from './mock/coercion';
export { caseList, caseGet, caseSave, recordSave, recordDelete, consentWithdraw } from './mock/cases';
export { evidenceImport, evidenceGet, evidenceThumbnail, evidenceRedact, custodyLog } from './mock/evidence';
export { outboxList, caseSubmit, outboxRetry, caseExport, caseDossier, caseForget, deviceInfo, enroll, setProxy } from './mock/handover';
export { messagesList, messagesUnread, messagesMarkRead, messageAnswer } from './mock/messages';
export { onImportProgress, onImportDone, onOutboxChanged, onLocked, onDragDrop, pickFiles, pickFolder } from './mock/events';
export { setMode, deskCreate, deskUnlock, deskPull, deskCases, deskCase, deskVerify, deskFile, deskMedia, releaseMedia } from './mock/desk';
export { deskTriage, deskMessage, deskExport, deskDossier, deskDevices, deskEnroll, deskRevoke, deskStats, deskStatsExport } from './mock/desk';
