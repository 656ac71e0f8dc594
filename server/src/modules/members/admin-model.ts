import mongoose, { Schema, Types } from 'mongoose';
import type { MemberExportFormat, MemberImportProblem, MemberListFilter } from '@membercard/shared';

/** A tag HQ created; members carry its name in `tags` (segments and lists filter by name). */
export interface MemberTagDoc {
  _id: Types.ObjectId;
  name: string;
  createdBy: string;
  createdAt: Date;
}

const MemberTagSchema = new Schema<MemberTagDoc>(
  {
    name: { type: String, required: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'member_tags' },
);
MemberTagSchema.index({ name: 1 }, { unique: true });

export function memberTagModel(conn: mongoose.Connection) {
  return conn.models.MemberTag ?? conn.model<MemberTagDoc>('MemberTag', MemberTagSchema);
}

/** An export of the member list: its progress while it runs, and where its file is once done. */
export interface MemberExportDoc {
  _id: Types.ObjectId;
  format: MemberExportFormat;
  filter: MemberListFilter;
  /** A manager's exports cover their store only. */
  storeId: string | null;
  status: 'running' | 'done' | 'failed';
  total: number;
  written: number;
  phonesMasked: boolean;
  fileName: string;
  /** The file on this instance's disk (exports are read back by the instance that wrote them). */
  path: string;
  createdBy: string;
  createdAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

const MemberExportSchema = new Schema<MemberExportDoc>(
  {
    format: { type: String, required: true },
    filter: { type: Schema.Types.Mixed, required: true },
    storeId: { type: String, default: null },
    status: { type: String, required: true },
    total: { type: Number, required: true },
    written: { type: Number, required: true },
    phonesMasked: { type: Boolean, required: true },
    fileName: { type: String, required: true },
    path: { type: String, required: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
    error: { type: String, default: null },
  },
  { versionKey: false, collection: 'member_exports', minimize: false },
);
MemberExportSchema.index({ createdBy: 1, createdAt: -1 });

export function memberExportModel(conn: mongoose.Connection) {
  return conn.models.MemberExport ?? conn.model<MemberExportDoc>('MemberExport', MemberExportSchema);
}

/** One run of the legacy import (dry runs are not recorded): what the file held and what became of it. */
export interface MemberImportDoc {
  _id: Types.ObjectId;
  fileName: string;
  /** SHA-256 of the file's text: a re-run of the same file is visible in the history. */
  fileSha256: string;
  rows: number;
  valid: number;
  created: number;
  alreadyImported: number;
  openingPoints: number;
  problems: MemberImportProblem[];
  createdBy: string;
  createdAt: Date;
}

const MemberImportSchema = new Schema<MemberImportDoc>(
  {
    fileName: { type: String, required: true },
    fileSha256: { type: String, required: true },
    rows: { type: Number, required: true },
    valid: { type: Number, required: true },
    created: { type: Number, required: true },
    alreadyImported: { type: Number, required: true },
    openingPoints: { type: Number, required: true },
    problems: { type: Schema.Types.Mixed, default: [] },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'member_imports' },
);
MemberImportSchema.index({ createdAt: -1 });

export function memberImportModel(conn: mongoose.Connection) {
  return conn.models.MemberImport ?? conn.model<MemberImportDoc>('MemberImport', MemberImportSchema);
}
