import {
  InvitationBodySchema,
  InvitationCodeImageSchema,
  InvitationPreviewSchema,
  InvitationViewBodySchema,
  MyReferralSchema,
  ReferralReportQuerySchema,
  ReferralReportSchema,
  ReferralTermsBodySchema,
  ReferralTermsSchema,
} from '@membercard/shared';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { shopperId } from '../members/routes';

export function referralRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/me/referral', tag: 'referral', auth: 'member',
      summary: 'The member’s invitation (code, share path, scene), HQ’s reward, progress (invited, joined, purchased, rewards) and friends',
      response: MyReferralSchema,
      handler: ({ actor }) => s.referral.myReferral(shopperId(actor)),
    }),
    route({
      method: 'post', path: '/me/referral/invitation', tag: 'referral', auth: 'member',
      summary: 'The member opens their invitation to share it: the app’s device id is remembered as theirs (a friend joining on it earns nothing)',
      body: InvitationBodySchema, response: MyReferralSchema,
      handler: ({ actor, body }) => s.referral.myReferral(shopperId(actor), body.deviceId),
    }),
    route({
      method: 'get', path: '/me/referral/code-image', tag: 'referral', auth: 'member',
      summary: 'The invitation’s mini-program code (WeChat getwxacodeunlimit: the join page, scene r=<code>) as a data URL',
      response: InvitationCodeImageSchema,
      handler: ({ actor }) => s.referral.codeImage(shopperId(actor)),
    }),
    route({
      method: 'post', path: '/referral/views', tag: 'referral', auth: 'shopper',
      summary: 'A shopper opened an invitation: counted once per inviter; answers who invites and what the friend gets (404 for an unknown code)',
      body: InvitationViewBodySchema, response: InvitationPreviewSchema,
      handler: ({ actor, body }) => s.referral.viewInvitation(shopperId(actor), body.code),
    }),
    route({
      method: 'get', path: '/admin/referral/terms', tag: 'referral', auth: 'admin',
      summary: 'HQ’s referral terms: each side’s points and coupon, the first-purchase minimum and window',
      response: ReferralTermsSchema,
      handler: () => s.referral.termsView(),
    }),
    route({
      method: 'put', path: '/admin/referral/terms', tag: 'referral', auth: 'admin', hq: 'marketing',
      summary: 'Set the referral terms (applies to friends who qualify from now on; rewards already earned keep their terms)',
      body: ReferralTermsBodySchema, response: ReferralTermsSchema,
      handler: ({ actor, body, ctx }) => s.referral.updateTerms(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/admin/reports/referral', tag: 'referral', auth: 'admin',
      summary: 'Invitations, joins, conversions, refusals and the reward cost over the last days, with the latest referrals',
      query: ReferralReportQuerySchema, response: ReferralReportSchema,
      handler: ({ query }) => s.referral.report(query.days),
    }),
  ];
}
