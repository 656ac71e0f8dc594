import { createHash, randomBytes } from 'node:crypto';
import { csvCell } from '../../lib/csv';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import {
  base32Encode,
  checkLegacyRecords,
  compileSegment,
  ErrorCode,
  MEMBER_EXPORT_COLUMNS,
  maskPhone,
  memberFilterSegment,
  memberSearchTerm,
  nameKeyOf,
  type LegacyMemberRow,
  type MemberExport,
  type MemberExportCreateBody,
  type MemberImportBody,
  type MemberImportProblem,
  type MemberImportReport,
  type MemberListFilter,
  type MemberListItem,
  type MemberListPage,
  type MemberListQuery,
  type MemberTag,
  type MemberTagApplyAnswer,
  type MemberTagApplyBody,
} from '@membercard/shared';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type mongoose from 'mongoose';
import { Types } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import { inTransaction } from '../../lib/transactions';
import type { AuditService } from '../audit/service';
import type { CouponIssuer } from '../coupons/issuer';
import type { PointsLedger } from '../points/ledger';
import type { SettingsService } from '../settings/service';
import type { StaffService } from '../staff/service';
import type { MemberExportDoc, memberExportModel, memberImportModel, memberTagModel } from './admin-model';
import type { MemberDoc, memberModel } from './model';
import { newCardNo, newReferralCode, type MembersService } from './service';

// HQ's work on the member base: the filtered list and its search, tags, exports, a one-member coupon grant and
// the legacy import. Filters are compiled by the campaigns' compileSegment, so a list and a segment with the same
// choices are the same members.

interface Deps {
  connection: mongoose.Connection;
  members: ReturnType<typeof memberModel>;
  tags: ReturnType<typeof memberTagModel>;
  exports: ReturnType<typeof memberExportModel>;
  imports: ReturnType<typeof memberImportModel>;
  memberViews: MembersService;
  settings: SettingsService;
  staff: StaffService;
  ledger: PointsLedger;
  issuer: CouponIssuer;
  audit: AuditService;
  now: () => Date;
  /** Where export files are written (default: the OS temp folder). */
  exportDir?: string;
}

/** A search's total is counted up to this many matches (then shown as “1,000+”). */
export const SEARCH_COUNT_CAP = 1_000;
/** Rows between progress writes of an export. */
const EXPORT_PROGRESS_EVERY = 500;
/** Rows imported at once (each is its own small transaction). */
const IMPORT_PARALLELISM = 4;
/** The opening balance's ledger entry: its reason (the member sees it) and the key prefix that makes it once-only. */
export const LEGACY_IMPORT_REASON = '历史积分导入';
const LEGACY_IMPORT_KEY = 'legacy_import';

export class MembersAdmin {
  /** Exports still being written by this instance (tests and shutdown can wait for them). */
  readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: Deps) {}

  // ---- the list ----

  /**
   * The MongoDB filter for what an actor may list with `filter`: the segment part through compileSegment, the
   * list's own keys beside it, a manager pinned to their store, and the search term on its index.
   */
  compileFilter(actor: Actor, filter: MemberListFilter): Record<string, unknown> {
    const query = compileSegment(memberFilterSegment(filter), this.deps.now());
    if (filter.maxPoints !== undefined) query.pointsBalance = { ...(query.pointsBalance as object | undefined), $lte: filter.maxPoints };
    if (actor.type === 'staff') {
      const allowed = !filter.homeStoreIds || filter.homeStoreIds.includes(actor.storeId);
      query.homeStoreId = allowed ? actor.storeId : { $in: [] };
    }
    const term = filter.q ? memberSearchTerm(filter.q) : null;
    if (term?.kind === 'cardNo') query.cardNo = term.value;
    else if (term?.kind === 'phone') query.phone = term.value;
    else if (term?.kind === 'name') query.nameKey = { $gte: term.value, $lt: `${term.value}\uffff` };
    return query;
  }

  async list(actor: Actor, input: MemberListQuery): Promise<MemberListPage> {
    const { limit, cursor, withTotal, ...filter } = input;
    const query = this.compileFilter(actor, filter);
    const byName = typeof query.nameKey === 'object';
    let docs: MemberDoc[];
    if (byName) {
      // A name prefix is listed in (nameKey, _id) order, the index's, so the walk starts at the prefix and stops
      // after a page however many members there are. The cursor's tie-break is a filter beside the range.
      const after = cursor ? decodeNameCursor(cursor) : null;
      if (after) {
        query.nameKey = { ...(query.nameKey as object), $gte: after.key };
        query.$or = [{ nameKey: { $gt: after.key } }, { _id: { $gt: after.id } }];
      }
      docs = await this.deps.members.find(query).sort({ nameKey: 1, _id: 1 }).limit(limit + 1).lean<MemberDoc[]>();
    } else if ('cardNo' in query || 'phone' in query) {
      // An equality on a card number or phone finds one member, or a few sharing a phone: read them off that index
      // without a sort (sorted by _id, a planner may race a walk of the whole _id order against it) and order them here.
      const after = cursor ? decodeIdCursor(cursor) : null;
      const all = await this.deps.members.find(after ? { ...query, _id: { $lt: after } } : query).limit(SEARCH_COUNT_CAP).lean<MemberDoc[]>();
      docs = all.sort((a, b) => (String(a._id) < String(b._id) ? 1 : -1)).slice(0, limit + 1);
    } else {
      const after = cursor ? decodeIdCursor(cursor) : null;
      const paged = after ? { ...query, _id: { $lt: after } } : query;
      docs = await this.deps.members.find(paged).sort({ _id: -1 }).limit(limit + 1).lean<MemberDoc[]>();
    }
    const page = docs.slice(0, limit);
    const last = page[page.length - 1];
    const countNeeded = withTotal === 'true' || (!cursor && withTotal !== 'false');
    const [items, counted] = await Promise.all([
      Promise.all(page.map((member) => this.listItem(member))),
      countNeeded ? this.count(actor, filter) : Promise.resolve(null),
    ]);
    return {
      items,
      nextCursor: docs.length > limit && last ? (byName ? encodeNameCursor(last.nameKey ?? '', last._id) : String(last._id)) : null,
      total: counted?.total ?? null,
      totalCapped: counted?.capped ?? false,
    };
  }

  /**
   * How many members the filter matches. A search is counted on its own index in the page's order, never with
   * `countDocuments` beside `status`: a planner may take a status-led index for that and count every active member
   * (32 ms at 50,000 members instead of 1 ms on the embedded database).
   */
  private async count(actor: Actor, filter: MemberListFilter): Promise<{ total: number; capped: boolean }> {
    const query = this.compileFilter(actor, filter);
    const field = (['cardNo', 'phone', 'nameKey'] as const).find((key) => key in query);
    if (!field) return { total: await this.deps.members.countDocuments(query), capped: false };
    // A search's count stops at SEARCH_COUNT_CAP: a one-character name prefix matches a tenth of the base, and
    // counting it exactly would grow with the base while the page itself does not. Counted as the page is read
    // (the search field's index in its order, ids only), so the walk stops after the cap.
    const found = this.deps.members.find(query, { _id: 1 });
    if (field === 'nameKey') found.sort({ nameKey: 1, _id: 1 });
    const n = (await found.limit(SEARCH_COUNT_CAP + 1).lean()).length;
    return n > SEARCH_COUNT_CAP ? { total: SEARCH_COUNT_CAP, capped: true } : { total: n, capped: false };
  }

  private async listItem(member: MemberDoc): Promise<MemberListItem> {
    const view = await this.deps.memberViews.view(member);
    return { ...view, tags: member.tags ?? [], lastPurchaseAt: member.lastPurchaseAt ? member.lastPurchaseAt.toISOString() : null };
  }

  /** Fills nameKey where a name was written without it (members written before it existed, or by a bulk load). */
  async backfillNameKeys(): Promise<{ processed: number }> {
    let processed = 0;
    for (;;) {
      const docs = await this.deps.members.find({ nameKey: null, name: { $type: 'string' } }, { _id: 1, name: 1 }).limit(1000).lean<MemberDoc[]>();
      if (docs.length === 0) return { processed };
      await this.deps.members.bulkWrite(
        docs.map((doc) => ({ updateOne: { filter: { _id: doc._id, name: doc.name }, update: { $set: { nameKey: nameKeyOf(doc.name!) } } } })),
        { ordered: false },
      );
      processed += docs.length;
    }
  }

  // ---- tags ----

  async listTags(): Promise<{ items: MemberTag[] }> {
    const tags = await this.deps.tags.find().sort({ name: 1 }).limit(500).lean();
    const counts = await Promise.all(tags.map((tag) => this.deps.members.countDocuments({ status: 'active', tags: tag.name })));
    return { items: tags.map((tag, i) => ({ id: String(tag._id), name: tag.name, memberCount: counts[i]!, createdAt: tag.createdAt.toISOString() })) };
  }

  async createTag(actor: Actor, requestId: string, name: string): Promise<MemberTag> {
    if (actor.type !== 'admin') throw errors.forbidden();
    try {
      const [tag] = await this.deps.tags.create([{ name, createdBy: actor.staffId, createdAt: this.deps.now() }]);
      const view = { id: String(tag!._id), name, memberCount: 0, createdAt: tag!.createdAt.toISOString() };
      await this.deps.audit.record(actor, requestId, { action: 'member_tag.create', targetType: 'member_tag', targetId: view.id, after: { name } });
      return view;
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new AppError(ErrorCode.CONFLICT, `A tag named “${name}” already exists.`, { fields: [{ field: 'body.name', message: 'Already exists' }] });
      throw err;
    }
  }

  /**
   * Puts the tag on the chosen members or on everyone the filter matches (as listed by this actor). $addToSet
   * under a `tags: {$ne}` condition: a repeat finds nothing left to tag, so it is idempotent by its nature.
   */
  async applyTag(actor: Actor, requestId: string, tagId: string, body: MemberTagApplyBody, remove = false): Promise<MemberTagApplyAnswer> {
    if (actor.type !== 'admin') throw errors.forbidden();
    const tag = Types.ObjectId.isValid(tagId) ? await this.deps.tags.findById(tagId).lean() : null;
    if (!tag) throw errors.notFound('No such tag.');
    let scope: Record<string, unknown>;
    if (body.memberIds) {
      const ids = body.memberIds.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
      if (ids.length !== body.memberIds.length) throw errors.validation('A member id is not valid.', { fields: [{ field: 'body.memberIds', message: 'Invalid id' }] });
      scope = { _id: { $in: ids }, status: 'active' };
    } else scope = this.compileFilter(actor, body.filter!);
    const matched = await this.deps.members.countDocuments(scope);
    const result = remove
      ? await this.deps.members.updateMany({ ...scope, tags: tag.name }, { $pull: { tags: tag.name } })
      : await this.deps.members.updateMany({ ...scope, tags: { $ne: tag.name } }, { $addToSet: { tags: tag.name } });
    const answer = { matched, tagged: result.modifiedCount };
    await this.deps.audit.record(actor, requestId, {
      action: remove ? 'member_tag.remove' : 'member_tag.apply',
      targetType: 'member_tag',
      targetId: String(tag._id),
      after: { tag: tag.name, ...(body.memberIds ? { memberIds: body.memberIds } : { filter: body.filter }), matched, changed: result.modifiedCount },
    });
    return answer;
  }

  // ---- exports ----

  /**
   * Starts an export: counts the matches, records the export (and who asked, in the audit log), and writes the
   * file in the background from a cursor, updating `written` as it goes so the console can show progress.
   * Phones are masked unless the caller is an HQ admin.
   */
  async startExport(actor: Actor, requestId: string, body: MemberExportCreateBody): Promise<MemberExport> {
    if (actor.type !== 'admin' && actor.type !== 'staff') throw errors.forbidden();
    const query = this.compileFilter(actor, body.filter);
    const total = await this.deps.members.countDocuments(query);
    const phonesMasked = !(actor.type === 'admin' && actor.hqRole === 'admin');
    const id = new Types.ObjectId();
    const dir = this.deps.exportDir ?? join(tmpdir(), 'membercard-exports');
    await mkdir(dir, { recursive: true });
    const stamp = chinaStamp(this.deps.now()).replace(/[-: ]/g, '').slice(0, 12);
    const doc: MemberExportDoc = {
      _id: id,
      format: body.format,
      filter: body.filter,
      storeId: actor.type === 'staff' ? actor.storeId : null,
      status: 'running',
      total,
      written: 0,
      phonesMasked,
      fileName: `members-${stamp}.${body.format}`,
      path: join(dir, `${String(id)}-${randomBytes(8).toString('hex')}.${body.format}`),
      createdBy: actor.staffId,
      createdAt: this.deps.now(),
      finishedAt: null,
      error: null,
    };
    await this.deps.exports.create([doc]);
    await this.deps.audit.record(actor, requestId, {
      action: 'member_export.create',
      targetType: 'member_export',
      targetId: String(id),
      after: { format: body.format, filter: body.filter, total, phonesMasked },
    });
    const run = this.writeExport(doc, query).finally(() => this.running.delete(run));
    this.running.add(run);
    return exportView(doc);
  }

  async getExport(actor: Actor, id: string): Promise<MemberExport> {
    return exportView(await this.ownExport(actor, id));
  }

  /** The finished file, for its creator only. */
  async exportFile(actor: Actor, id: string): Promise<{ doc: MemberExportDoc; stream: NodeJS.ReadableStream; size: number }> {
    const doc = await this.ownExport(actor, id);
    if (doc.status !== 'done') throw new AppError(ErrorCode.CONFLICT, doc.status === 'failed' ? 'The export failed; start it again.' : 'The export is still being written.');
    const size = await stat(doc.path).then((s) => s.size).catch(() => null);
    if (size === null) throw errors.notFound('The export file is no longer here; start the export again.');
    return { doc, stream: createReadStream(doc.path), size };
  }

  private async ownExport(actor: Actor, id: string): Promise<MemberExportDoc> {
    const doc = Types.ObjectId.isValid(id) ? await this.deps.exports.findById(id).lean<MemberExportDoc>() : null;
    if (!doc || (actor.type !== 'admin' && actor.type !== 'staff') || doc.createdBy !== actor.staffId) throw errors.notFound('No such export.');
    return doc;
  }

  private async writeExport(doc: MemberExportDoc, query: Record<string, unknown>): Promise<void> {
    const { exports } = this.deps;
    try {
      const [{ tiers }, stores] = await Promise.all([this.deps.settings.get(), this.deps.staff.listStores(true)]);
      const tierName = new Map(tiers.map((t) => [t.code, t.name]));
      const storeName = new Map(stores.items.map((s) => [s.id, s.name]));
      const rowOf = (m: MemberDoc): Array<string | number> => [
        m.cardNo ?? '',
        m.name ?? '',
        m.phone ? (doc.phonesMasked ? maskPhone(m.phone) : m.phone) : '',
        tierName.get(m.tier) ?? m.tier,
        m.pointsBalance,
        Math.round(m.spend12mFen) / 100,
        m.homeStoreId ? (storeName.get(m.homeStoreId) ?? m.homeStoreId) : '',
        chinaStamp(m.joinedAt ?? m.createdAt),
        m.lastPurchaseAt ? chinaStamp(m.lastPurchaseAt) : '',
        (m.tags ?? []).join('、'),
      ];
      // In the order the filter's index gives (no sort: a sort would hold the whole match in memory first).
      const cursor = this.deps.members.find(query).batchSize(1000).lean<MemberDoc[]>().cursor();
      let written = 0;
      const progress = async () => {
        await exports.updateOne({ _id: doc._id }, { $set: { written } });
      };
      if (doc.format === 'csv') {
        const out = createWriteStream(doc.path);
        const write = async (line: string) => {
          if (!out.write(line)) await once(out, 'drain');
        };
        // A BOM so Excel opens the UTF-8 file with its Chinese intact; CRLF as RFC 4180 says.
        await write(`\ufeff${MEMBER_EXPORT_COLUMNS.map(csvCell).join(',')}\r\n`);
        for await (const member of cursor) {
          await write(`${rowOf(member as MemberDoc).map((v, i) => csvCell(i === 5 ? (v as number).toFixed(2) : v)).join(',')}\r\n`);
          if (++written % EXPORT_PROGRESS_EVERY === 0) await progress();
        }
        out.end();
        await once(out, 'finish');
      } else {
        // The streaming writer commits each row to the zip as it goes; shared strings off, so memory stays flat.
        const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: doc.path, useSharedStrings: false, useStyles: true });
        const sheet = workbook.addWorksheet('会员');
        sheet.columns = MEMBER_EXPORT_COLUMNS.map((header, i) => ({ header, width: [16, 12, 14, 10, 10, 14, 16, 18, 18, 24][i] }));
        sheet.getColumn(6).numFmt = '#,##0.00';
        for await (const member of cursor) {
          sheet.addRow(rowOf(member as MemberDoc)).commit();
          if (++written % EXPORT_PROGRESS_EVERY === 0) await progress();
        }
        sheet.commit();
        await workbook.commit();
      }
      await exports.updateOne({ _id: doc._id }, { $set: { status: 'done', written, finishedAt: this.deps.now() } });
    } catch (err) {
      await unlink(doc.path).catch(() => undefined);
      await exports.updateOne({ _id: doc._id }, { $set: { status: 'failed', error: err instanceof Error ? err.message : String(err), finishedAt: this.deps.now() } }).catch(() => undefined);
    }
  }

  // ---- one member ----

  /**
   * HQ gives one member a coupon from their page, through the one issuer (quantity and per-member limits hold).
   * The grant key is the attempt's Idempotency-Key, so a retry of the attempt answers the coupon it issued.
   */
  async grantCoupon(actor: Actor, requestId: string, memberId: string, body: { templateId: string; reason: string }, key: string) {
    if (actor.type !== 'admin') throw errors.forbidden();
    await this.deps.memberViews.adminView(actor, memberId); // 404 for no such member
    const { coupon, created } = await this.deps.issuer.issue({ templateId: body.templateId, memberId, channel: 'grant', channelRef: `member:${key}` });
    if (created) {
      await this.deps.audit.record(actor, requestId, {
        action: 'coupon.grant',
        targetType: 'coupon',
        targetId: String(coupon._id),
        memberId,
        after: { templateId: body.templateId, memberId, couponId: String(coupon._id), reason: body.reason },
      });
    }
    return { coupon, created };
  }

  // ---- legacy import ----

  /**
   * Reads a legacy system's member file. Every row is checked (the file's own rules, then against the database:
   * a phone held by another member); a dry run stops there and reports. A run creates each new member with its
   * opening balance in one transaction: the member keyed by the legacy card number (unique), the balance as an
   * ordinary ledger entry and lot under the key `legacy_import:<legacy card>`, so a re-run of the same file
   * finds every row already imported and books nothing twice, and reconciliation holds.
   */
  async importMembers(actor: Actor, requestId: string, body: MemberImportBody): Promise<MemberImportReport> {
    if (actor.type !== 'admin') throw errors.forbidden();
    const { members, now } = this.deps;
    const problems: MemberImportProblem[] = [];
    let records: string[][] = [];
    try {
      records = parseCsv(body.csv, { bom: true, relax_column_count: true, skip_empty_lines: false, trim: false }) as string[][];
    } catch (err) {
      const line = (err as { lines?: number }).lines;
      problems.push({ row: line ?? 1, column: '', message: `文件不是有效的 CSV（${csvErrorText(err)}）` });
    }
    const { tiers } = await this.deps.settings.get();
    const checked = problems.length ? { rows: [], problems: [], dataLines: 0 } : checkLegacyRecords(records, tiers, now());
    problems.push(...checked.problems);

    // Against the database: who is already imported, and phones another member holds.
    const existing = new Map<string, { phone?: string | null }>();
    const phoneOwners = new Map<string, string>();
    for (let i = 0; i < checked.rows.length; i += 1000) {
      const chunk = checked.rows.slice(i, i + 1000);
      const found = await members.find({ legacyCardNo: { $in: chunk.map((r) => r.legacyCardNo) } }, { legacyCardNo: 1, phone: 1 }).lean<MemberDoc[]>();
      for (const m of found) existing.set(m.legacyCardNo!, m);
      const phones = chunk.map((r) => r.phone).filter((p): p is string => Boolean(p));
      const holders = phones.length ? await members.find({ phone: { $in: phones }, status: 'active' }, { phone: 1, cardNo: 1, legacyCardNo: 1 }).lean<MemberDoc[]>() : [];
      for (const m of holders) phoneOwners.set(m.phone!, m.legacyCardNo ?? `card:${m.cardNo}`);
    }
    const toCreate: LegacyMemberRow[] = [];
    let alreadyImported = 0;
    for (const row of checked.rows) {
      if (existing.has(row.legacyCardNo)) {
        alreadyImported++;
        continue;
      }
      const owner = row.phone ? phoneOwners.get(row.phone) : undefined;
      if (owner && owner !== row.legacyCardNo) {
        problems.push({ row: row.line, column: '手机号', message: `手机号 ${maskPhone(row.phone!)} 已属于另一位会员` });
        continue;
      }
      toCreate.push(row);
    }
    problems.sort((a, b) => a.row - b.row);
    const report = (id: string | null, created: number, already: number, points: number): MemberImportReport => ({
      id,
      fileName: body.fileName,
      dryRun: body.dryRun,
      rows: checked.dataLines,
      valid: toCreate.length + alreadyImported,
      created,
      alreadyImported: already,
      openingPoints: points,
      problems,
      createdAt: now().toISOString(),
    });
    if (body.dryRun) return report(null, toCreate.length, alreadyImported, toCreate.reduce((sum, r) => sum + r.points, 0));

    let created = 0;
    let openingPoints = 0;
    let raced = 0;
    const queue = [...toCreate];
    await Promise.all(
      Array.from({ length: IMPORT_PARALLELISM }, async () => {
        for (let row = queue.shift(); row; row = queue.shift()) {
          if (await this.importRow(actor, row)) {
            created++;
            openingPoints += row.points;
          } else raced++; // a parallel run of the same file imported it first
        }
      }),
    );
    const [batch] = await this.deps.imports.create([
      {
        fileName: body.fileName,
        fileSha256: createHash('sha256').update(body.csv).digest('hex'),
        rows: checked.dataLines,
        valid: toCreate.length + alreadyImported,
        created,
        alreadyImported: alreadyImported + raced,
        openingPoints,
        problems,
        createdBy: actor.staffId,
        createdAt: now(),
      },
    ]);
    await this.deps.audit.record(actor, requestId, {
      action: 'member_import.run',
      targetType: 'member_import',
      targetId: String(batch!._id),
      after: { fileName: body.fileName, rows: checked.dataLines, created, alreadyImported: alreadyImported + raced, openingPoints, problems: problems.length },
    });
    return report(String(batch!._id), created, alreadyImported + raced, openingPoints);
  }

  async listImports(limit: number): Promise<{ items: MemberImportReport[] }> {
    const docs = await this.deps.imports.find().sort({ createdAt: -1 }).limit(limit).lean();
    return {
      items: docs.map((d) => ({
        id: String(d._id), fileName: d.fileName, dryRun: false, rows: d.rows, valid: d.valid, created: d.created,
        alreadyImported: d.alreadyImported, openingPoints: d.openingPoints, problems: d.problems, createdAt: d.createdAt.toISOString(),
      })),
    };
  }

  /** One row: the member and its opening balance together. False when the legacy card was imported meanwhile. */
  private async importRow(actor: Extract<Actor, { type: 'admin' }>, row: LegacyMemberRow): Promise<boolean> {
    const { members, connection, ledger, now } = this.deps;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await inTransaction(connection, undefined, async (session) => {
          const at = now();
          const [member] = await members.create(
            [
              {
                status: 'active',
                openid: null,
                cardNo: newCardNo(),
                codeSecret: base32Encode(randomBytes(20)),
                referralCode: newReferralCode(),
                legacyCardNo: row.legacyCardNo,
                homeStoreId: null,
                name: row.name,
                nameKey: row.name ? nameKeyOf(row.name) : null,
                birthday: row.birthday,
                birthdayMonth: row.birthday ? Number(row.birthday.slice(5, 7)) : null,
                phone: row.phone,
                profileComplete: false,
                tier: row.tier,
                tierSince: at,
                pointsBalance: 0,
                spend12mFen: 0,
                tags: [],
                joinedAt: at,
                createdAt: at,
              },
            ],
            { session },
          );
          if (row.points > 0) {
            await ledger.earn({
              memberId: member!._id,
              amount: row.points,
              reason: LEGACY_IMPORT_REASON,
              source: 'adjustment',
              idempotencyKey: `${LEGACY_IMPORT_KEY}:${row.legacyCardNo}`,
              actorId: actor.staffId,
              session,
            });
          }
        });
        return true;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        if (await members.exists({ legacyCardNo: row.legacyCardNo })) return false;
        // A drawn card number or referral code was taken: draw again.
      }
    }
    throw new Error('Could not draw a free card number in 5 attempts');
  }
}

function exportView(doc: MemberExportDoc): MemberExport {
  return {
    id: String(doc._id),
    format: doc.format,
    status: doc.status,
    total: doc.total,
    written: doc.written,
    phonesMasked: doc.phonesMasked,
    fileName: doc.fileName,
    createdAt: doc.createdAt.toISOString(),
    finishedAt: doc.finishedAt ? doc.finishedAt.toISOString() : null,
  };
}

/** China time as `2026-03-01 14:05`. */
function chinaStamp(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}

function csvErrorText(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'CSV_QUOTE_NOT_CLOSED') return '引号没有闭合';
  if (code === 'CSV_INVALID_CLOSING_QUOTE') return '引号位置不正确';
  return '无法解析';
}

function encodeNameCursor(key: string, id: Types.ObjectId): string {
  return Buffer.from(JSON.stringify({ k: key, i: String(id) })).toString('base64url');
}

function decodeNameCursor(cursor: string): { key: string; id: Types.ObjectId } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown; i?: unknown };
    if (typeof parsed.k !== 'string' || typeof parsed.i !== 'string' || !Types.ObjectId.isValid(parsed.i)) throw new Error();
    return { key: parsed.k, id: new Types.ObjectId(parsed.i) };
  } catch {
    throw errors.validation('The cursor is not valid.', { fields: [{ field: 'query.cursor', message: 'Invalid cursor' }] });
  }
}

function decodeIdCursor(cursor: string): Types.ObjectId {
  if (!/^[0-9a-f]{24}$/.test(cursor)) throw errors.validation('The cursor is not valid.', { fields: [{ field: 'query.cursor', message: 'Invalid cursor' }] });
  return new Types.ObjectId(cursor);
}
