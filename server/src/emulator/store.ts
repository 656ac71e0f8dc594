import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SentSubscribeMessage {
  msgid: string;
  touser: string;
  template_id: string;
  page?: string;
  miniprogram_state: string;
  lang: string;
  data: Record<string, { value: string }>;
  sentAt: string;
}

export type EmulatedTradeState = 'NOTPAY' | 'SUCCESS' | 'REFUND' | 'CLOSED';

export interface EmulatedOrder {
  appid: string;
  mchid: string;
  description: string;
  out_trade_no: string;
  notify_url: string;
  total: number;
  openid: string;
  time_expire?: string;
  attach?: string;
  prepay_id: string;
  created_at: string;
  trade_state: EmulatedTradeState;
  transaction_id?: string;
  success_time?: string;
  refunded: number;
}

export interface EmulatedRefund {
  refund_id: string;
  out_refund_no: string;
  out_trade_no: string;
  transaction_id: string;
  reason?: string;
  notify_url: string;
  refund: number;
  total: number;
  status: 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
  /** How it ends once PROCESSING is over (kept so a restart can finish it). */
  outcome?: 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
  create_time: string;
  success_time?: string;
}

export interface NotificationDelivery {
  notificationId: string;
  eventType: string;
  url: string;
  outTradeNo: string;
  outRefundNo?: string;
  delivered: boolean;
  attempts: NotificationAttempt[];
  /** Wechatpay-Serial the genuine attempts were signed with. */
  serial?: string;
  /** SIGNTEST probes sent before the first attempt (the merchant must answer them 4xx/5xx). */
  probes?: NotificationAttempt[];
  /** Repeats WeChat Pay sent after a 2xx. */
  duplicates?: NotificationAttempt[];
}

export interface NotificationAttempt {
  at: string;
  status?: number;
  error?: string;
}

export interface EmulatorState {
  /** openid → template id → one-time sends left. */
  subscribeQuota: Record<string, Record<string, number>>;
  messages: SentSubscribeMessage[];
  /** By out_trade_no. */
  orders: Record<string, EmulatedOrder>;
  /** By out_refund_no. */
  refunds: Record<string, EmulatedRefund>;
  deliveries: NotificationDelivery[];
  /** How the next refund of an order ends (set by tests through POST /refunds/outcome); default SUCCESS. */
  refundOutcomes?: Record<string, 'SUCCESS' | 'ABNORMAL' | 'CLOSED'>;
}

const KEPT_DELIVERIES = 500;

/** Emulator state in memory, written through to `file` (when given) so a demo restart keeps it. */
export class EmulatorStore {
  readonly state: EmulatorState;

  constructor(private readonly file?: string) {
    this.state = { subscribeQuota: {}, messages: [], orders: {}, refunds: {}, deliveries: [] };
    if (file && existsSync(file)) Object.assign(this.state, JSON.parse(readFileSync(file, 'utf8')) as Partial<EmulatorState>);
  }

  /** Keeps the delivery record (the same object is updated as attempts follow). */
  recordDelivery(delivery: NotificationDelivery): void {
    this.state.deliveries.push(delivery);
    if (this.state.deliveries.length > KEPT_DELIVERIES) this.state.deliveries.splice(0, this.state.deliveries.length - KEPT_DELIVERIES);
    this.save();
  }

  /** Synchronous write-then-rename: demo traffic is tiny and a crash never leaves half a file. */
  save(): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.state));
    renameSync(temporary, this.file);
  }
}
