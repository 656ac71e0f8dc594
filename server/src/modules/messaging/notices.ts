import type { signupNotificationModel, SignupNotificationDoc } from '../activities/model';
import type { MessageFields, MessagingService, TemplatePurpose } from './service';

// Service notices other modules record for members (the activities module: an activity was cancelled, a
// waitlist seat came free, a paid sign-up's fee was refunded), sent as subscribe messages of their own purpose (each its own template and the
// member's quota for it, never the activity reminder's). Each row's message key is its id, so a rerun never
// sends one twice; the row then leaves the queue: sentAt once handed to WeChat (a busy WeChat is retried by
// the messaging module), failedAt if it could not be.

const PURPOSE_OF: Record<SignupNotificationDoc['kind'], TemplatePurpose> = {
  activity_cancelled: 'activityCancelled',
  waitlist_promoted: 'waitlistPromoted',
  payment_refunded: 'refundResult',
};

const NOTICE_BATCH = 200;

interface Deps {
  activityNotices: ReturnType<typeof signupNotificationModel>;
  messaging: MessagingService;
  now: () => Date;
}

export class NoticeDispatcher {
  constructor(private readonly deps: Deps) {}

  async sendDue(): Promise<{ processed: number }> {
    const { activityNotices, messaging, now } = this.deps;
    let processed = 0;
    for (;;) {
      const due = await activityNotices.find({ sentAt: null, failedAt: null }).sort({ createdAt: 1 }).limit(NOTICE_BATCH).lean<SignupNotificationDoc[]>();
      if (due.length === 0) return { processed };
      for (const notice of due) {
        const outcome = await messaging.send({
          key: `activity:${notice.kind}:${String(notice._id)}`,
          memberId: notice.memberId,
          purpose: PURPOSE_OF[notice.kind],
          marketing: false,
          fields: noticeFields(notice.kind, notice.data ?? {}),
          page: `pages/activities/detail?id=${String(notice.activityId)}`,
        });
        const at = now();
        const handedOver = outcome.status === 'sent' || outcome.status === 'retrying';
        await activityNotices.updateOne({ _id: notice._id }, { $set: handedOver ? { sentAt: at } : { failedAt: at } });
        processed++;
      }
    }
  }
}

/**
 * The activities module records the activity's title, its start (an instant, or ISO text in older rows) and a
 * note; for a refund, the amount in fen and when it came back instead of the start.
 */
function noticeFields(kind: SignupNotificationDoc['kind'], data: Record<string, unknown>): MessageFields {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const instant = (value: unknown) => (value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null);
  const activityTitle = text(data.activityTitle) ?? text(data.title);
  if (kind === 'payment_refunded') {
    const refundAmount = typeof data.amountFen === 'number' ? { fen: data.amountFen } : null;
    return { activityTitle, refundAmount, refundedAt: instant(data.refundedAt), note: text(data.note) };
  }
  return { activityTitle, startAt: instant(data.startAt), note: text(data.note) };
}
