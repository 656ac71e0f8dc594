import type { Types } from 'mongoose';
import type { ActivityDoc, activityModel, SignupDoc, signupModel } from '../activities/model';
import type { messageModel, subscribeQuotaModel } from './model';
import type { MessagingService } from './service';

// "开始前提醒我": a member with a confirmed sign-up who tapped it granted one activity-reminder message; this
// job spends it shortly before the activity starts (lead time configurable, default 2 hours). Each sign-up's
// reminder has the message key `activity_reminder:<signupId>`, taken by a unique insert, so however often the
// job runs (or on however many instances) a sign-up is reminded at most once. Members who never asked hold no
// reminder quota and are left alone; one who asks late, inside the lead time, is reminded on the next run.

export const DEFAULT_REMINDER_LEAD_MINUTES = 120;
const CHUNK = 500;
const REMINDER_NOTE = '活动即将开始，请凭签到码入场';

interface Deps {
  activities: ReturnType<typeof activityModel>;
  signups: ReturnType<typeof signupModel>;
  quotas: ReturnType<typeof subscribeQuotaModel>;
  messages: ReturnType<typeof messageModel>;
  messaging: MessagingService;
  leadMinutes: number;
  now: () => Date;
}

export class ActivityReminders {
  constructor(private readonly deps: Deps) {}

  async sendDue(): Promise<{ processed: number }> {
    const { activities, signups, now } = this.deps;
    const at = now();
    const horizon = new Date(at.getTime() + this.deps.leadMinutes * 60_000);
    const starting = await activities
      .find({ status: 'published', startAt: { $gt: at, $lte: horizon } }, { title: 1, startAt: 1 })
      .lean<Pick<ActivityDoc, '_id' | 'title' | 'startAt'>[]>();
    let processed = 0;
    for (const activity of starting) {
      let after: Types.ObjectId | null = null;
      for (;;) {
        const batch: Pick<SignupDoc, '_id' | 'memberId'>[] = await signups
          .find({ activityId: activity._id, live: true, status: 'confirmed', ...(after ? { _id: { $gt: after } } : {}) }, { memberId: 1 })
          .sort({ _id: 1 })
          .limit(CHUNK)
          .lean<Pick<SignupDoc, '_id' | 'memberId'>[]>();
        if (batch.length === 0) break;
        after = batch[batch.length - 1]!._id;
        processed += await this.remind(activity, batch);
      }
    }
    return { processed };
  }

  /** Sends the reminder to the sign-ups whose member asked (holds reminder quota) and has not had it yet. */
  private async remind(activity: Pick<ActivityDoc, '_id' | 'title' | 'startAt'>, batch: Pick<SignupDoc, '_id' | 'memberId'>[]): Promise<number> {
    const { quotas, messages, messaging } = this.deps;
    const templateId = (await messaging.templateIds()).activityReminder;
    const asked = await quotas
      .find({ _id: { $in: batch.map((signup) => `${String(signup.memberId)}:${templateId}`) }, remaining: { $gt: 0 } }, { memberId: 1 })
      .lean<{ memberId: Types.ObjectId }[]>();
    const askedBy = new Set(asked.map((quota) => String(quota.memberId)));
    const wanted = batch.filter((signup) => askedBy.has(String(signup.memberId)));
    if (wanted.length === 0) return 0;
    const key = (signup: Pick<SignupDoc, '_id'>) => `activity_reminder:${String(signup._id)}`;
    const done = new Set((await messages.find({ _id: { $in: wanted.map(key) } }, { _id: 1 }).lean<{ _id: string }[]>()).map((m) => m._id));
    let sent = 0;
    for (const signup of wanted) {
      if (done.has(key(signup))) continue;
      const outcome = await messaging.send({
        key: key(signup),
        memberId: signup.memberId,
        purpose: 'activityReminder',
        marketing: false,
        fields: { activityTitle: activity.title, startAt: activity.startAt, note: REMINDER_NOTE },
        page: `pages/activities/detail?id=${String(activity._id)}`,
        // A reminder WeChat was too busy for is not retried once the activity has begun.
        expiresAt: activity.startAt,
      });
      if (outcome.firstAttempt) sent++;
    }
    return sent;
  }
}
