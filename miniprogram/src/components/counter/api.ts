import { CounterCheckoutAnswerSchema, CounterPanelSchema, type CounterCheckoutBody } from '@membercard/shared';
import { staffApi } from '../../api/session';

/** The counter's one-scan checkout: the member panel a scan opens, and the one confirmation. */
export const counterCheckout = {
  panel: (code: string, amountFen?: number) => staffApi.post('/staff/counter/panel', { body: { code, amountFen }, answer: CounterPanelSchema }),
  confirm: (body: CounterCheckoutBody) => staffApi.post('/staff/checkout', { body, answer: CounterCheckoutAnswerSchema }),
};
