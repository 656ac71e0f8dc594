import type { signupNotificationModel, SignupNotificationDoc } from '../activities/model';
import type { MessagingService } from './service';

// Service notices other modules record for members (the activities module: an activity was cancelled, a
// waitlist seat came free), sent as subscribe messages. Each row's message key is its id, so a rerun never
// sends one twice; the row is then marked sent or failed.

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
          purpose: 'activityReminder',
          marketing: false,
          data: Object.fromEntries(Object.entries(notice.data ?? {}).map(([key, value]) => [key, { value: String(value).slice(0, 20) }])),
          page: `pages/activities/detail?id=${String(notice.activityId)}`,
        });
        const at = now();
        await activityNotices.updateOne({ _id: notice._id }, { $set: outcome.status === 'sent' ? { sentAt: at } : { failedAt: at } });
        processed++;
      }
    }
  }
}
