// The one place the console imports @membercard/shared from: wire schemas that validate forms, the
// answer types, and the pure rules that must match what members see in the mini-program.
export {
  maskPhone,
  maskName,
  PasswordLoginBodySchema,
  PointsAdjustmentBodySchema,
  RedemptionCodeBatchBodySchema,
  CouponTemplateInputSchema,
  ActivityInputSchema,
  type Member,
  type CouponTemplate,
  type CouponTemplateInput,
  type CouponType,
  type Activity,
  type ActivityInput,
  type Coupon,
} from '@membercard/shared';
export { couponSavingFen } from './lib/couponSaving';
