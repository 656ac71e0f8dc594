import type { signupNotificationModel, SignupNotificationDoc } from '../activities/model';
import type { MessagingService, TemplatePurpose } from './service';

// Service notices other modules record for members (the activities module: an activity was cancelled, a
// waitlist seat came free), sent as subscribe messages of their own purpose (each its own template and the
// member's quota for it, never the activity reminder's). Each row's message key is its id, so a rerun never
// sends one twice; the row then leaves the queue: sentAt once handed to WeChat (a busy WeChat is retried by
// the messaging module), failedAt if it could not be.

const PURPOSE_OF: Record<SignupNotificationDoc['kind'], TemplatePurpose> = {
  activity_cancelled: 'activityCancelled',
  waitlist_promoted: 'waitlistPromoted',
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
          fields: noticeFields(notice.data ?? {}),
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

/** The activities module records the activity's title, its start (an instant, or ISO text in older rows) and a note. */
function noticeFields(data: Record<string, unknown>): Record<string, string | Date | null> {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const startAt = data.startAt instanceof Date ? data.startAt : typeof data.startAt === 'string' ? new Date(data.startAt) : null;
  return { activityTitle: text(data.activityTitle) ?? text(data.title), startAt, note: text(data.note) };
}
