import { amountText, checkValue, chinaDateText, chinaDateTimeText, formatMessageData, formatValue, keywordType } from './format';
import { MESSAGE_PURPOSES, parseSubscribeTemplates, templateIds, type SubscribeTemplates } from './templates';

// The one formatter every subscribe message goes through, and the rules the emulator checks with: WeChat's
// value types, China time, code-point lengths.

const at = new Date('2025-02-01T07:05:00.000Z'); // 2025-02-01 15:05 in China

describe('keyword types', () => {
  it('given WeChat keywords, then the type is read from the name, longest type first', () => {
    expect(keywordType('thing1')).toBe('thing');
    expect(keywordType('time12')).toBe('time');
    expect(keywordType('character_string3')).toBe('character_string');
    expect(keywordType('phone_number2')).toBe('phone_number');
    expect(keywordType('title')).toBeNull();
    expect(keywordType('thing')).toBeNull();
    expect(keywordType('startAt')).toBeNull();
  });
});

describe('time and date, in China', () => {
  it('given an instant late in the UTC day, when formatted, then the China date is the next day', () => {
    const lateUtc = new Date('2025-01-31T16:30:00.000Z'); // 2025-02-01 00:30 in China
    expect(chinaDateText(lateUtc)).toBe('2025年2月1日');
    expect(chinaDateTimeText(lateUtc)).toBe('2025年2月1日 00:30');
  });

  it('given an instant, when formatted for time and date keywords, then WeChat’s 2019年10月1日 15:01 form comes out', () => {
    expect(formatValue('time', at)).toEqual({ ok: true, value: '2025年2月1日 15:05' });
    expect(formatValue('date', at)).toEqual({ ok: true, value: '2025年2月1日' });
    expect(formatValue('thing', at)).toEqual({ ok: true, value: '2025年2月1日 15:05' });
    expect(formatValue('time', new Date('nope'))).toMatchObject({ ok: false });
  });

  it('given time and date values, then WeChat’s forms (with ranges) pass and ISO or impossible ones fail', () => {
    for (const ok of ['15:01', '2019年10月1日 15:01', '10月1日 15:01', '2019年10月1日 15:01~2019年10月1日 17:00']) expect(checkValue('time', ok)).toBeNull();
    for (const bad of ['2019-10-01T07:01:00.000Z', '2019年10月1日', '25:00', '2019年13月1日 10:00', '']) expect(checkValue('time', bad)).not.toBeNull();
    for (const ok of ['2019年10月1日', '2019年10月1日 15:01', '2019年10月1日~2019年10月3日']) expect(checkValue('date', ok)).toBeNull();
    for (const bad of ['2025-02-01', '2025-02-01T00:00:00Z', '2月30号']) expect(checkValue('date', bad)).not.toBeNull();
  });
});

describe('thing', () => {
  it('given text of 20 code points, then it passes unchanged; given 21, then it is cut to 19 and an ellipsis', () => {
    const twenty = '满一百减二十元的新品咖啡豆专享券限时领取';
    expect([...twenty]).toHaveLength(20);
    expect(formatValue('thing', twenty)).toEqual({ ok: true, value: twenty });
    const cut = formatValue('thing', `${twenty}啦`);
    expect(cut).toEqual({ ok: true, value: `${[...twenty].slice(0, 19).join('')}…` });
  });

  it('given characters outside the BMP, then length counts code points, not UTF-16 units', () => {
    const emoji = '🎉'.repeat(20); // 40 UTF-16 units, 20 code points
    expect(checkValue('thing', emoji)).toBeNull();
    expect(formatValue('thing', `${emoji}🎉`)).toEqual({ ok: true, value: `${'🎉'.repeat(19)}…` });
  });

  it('given line breaks or only spaces, then they fold into one line, and empty text is refused', () => {
    expect(formatValue('thing', '活动\n已取消  ')).toEqual({ ok: true, value: '活动 已取消' });
    expect(formatValue('thing', '   ')).toEqual({ ok: false, reason: 'empty' });
    expect(checkValue('thing', 'a\nb')).not.toBeNull();
  });
});

describe('number, amount and the strict types', () => {
  it('given counts, then numbers are plain digits; negative or over 32 digits is refused (never cut)', () => {
    expect(formatValue('number', 120)).toEqual({ ok: true, value: '120' });
    expect(formatValue('number', -5)).toMatchObject({ ok: false });
    expect(checkValue('number', '1'.repeat(33))).not.toBeNull();
    expect(checkValue('number', '12.50')).toBeNull();
  });

  it('given fen, then amounts read ¥1.00 with no thousands separator (WeChat allows digits only)', () => {
    expect(amountText(100)).toBe('¥1.00');
    expect(formatValue('amount', { fen: 173150 })).toEqual({ ok: true, value: '¥1731.50' });
    expect(checkValue('amount', '¥1,731.50')).not.toBeNull();
    expect(checkValue('amount', '100元')).toBeNull();
    expect(checkValue('amount', '¥12345678901')).not.toBeNull();
    expect(formatValue('amount', { fen: 1.5 })).toMatchObject({ ok: false });
  });

  it('given strict types, then only what WeChat allows passes and nothing is truncated', () => {
    expect(checkValue('phrase', '已取消')).toBeNull();
    expect(formatValue('phrase', '候补成功啦啦')).toEqual({ ok: false, reason: 'longer than 5 characters' });
    expect(checkValue('phrase', 'OK')).not.toBeNull();
    expect(checkValue('character_string', 'MC-20250201-0001')).toBeNull();
    expect(checkValue('character_string', '会员卡')).not.toBeNull();
    expect(checkValue('character_string', 'x'.repeat(33))).not.toBeNull();
    expect(checkValue('letter', 'VIP')).toBeNull();
    expect(checkValue('letter', 'VIP1')).not.toBeNull();
    expect(checkValue('symbol', '★★')).toBeNull();
    expect(checkValue('symbol', '★★★★★★')).not.toBeNull();
    expect(checkValue('phone_number', '+86-0766-66888866')).toBeNull();
    expect(checkValue('phone_number', '1'.repeat(18))).not.toBeNull();
    expect(checkValue('car_number', '粤A8Z8Z8')).toBeNull();
    expect(checkValue('car_number', '粤A8Z8Z8Z8Z')).not.toBeNull();
    expect(checkValue('name', '张三')).toBeNull();
    expect(checkValue('name', '欧阳娜娜娜娜娜娜娜娜娜')).not.toBeNull();
    expect(checkValue('name', 'Zhang San')).toBeNull();
  });
});

describe('formatMessageData', () => {
  const keywords = { thing1: 'couponName', time2: 'validUntil', thing3: 'note' };

  it('given a keyword map and our fields, when formatted, then data carries exactly the template’s keywords', () => {
    const formatted = formatMessageData(keywords, { couponName: '新品券', validUntil: at, note: '新券到账，快来看看' });
    expect(formatted).toEqual({ ok: true, data: { thing1: { value: '新品券' }, time2: { value: '2025年2月1日 15:05' }, thing3: { value: '新券到账，快来看看' } } });
  });

  it('given a missing field or a value the type refuses, then the message is refused naming the keyword', () => {
    expect(formatMessageData(keywords, { couponName: '新品券', note: 'x' })).toEqual({ ok: false, keyword: 'time2', reason: 'no validUntil' });
    expect(formatMessageData({ phrase1: 'note' }, { note: '活动已取消请留意' })).toMatchObject({ ok: false, keyword: 'phrase1' });
  });
});

describe('template configuration', () => {
  const sample = (): Record<string, unknown> =>
    Object.fromEntries(MESSAGE_PURPOSES.map((purpose, i) => [purpose, { id: `tmpl-${i}`, keywords: purpose === 'pointsExpiry' ? { number1: 'points', date2: 'expiresAt' } : { thing1: 'note' } }]));

  it('given every purpose with sound keyword maps, then it is accepted and the ids come out by purpose', () => {
    const parsed = parseSubscribeTemplates(sample());
    expect(parsed.ok).toBe(true);
    expect(templateIds((parsed as { value: SubscribeTemplates }).value)).toMatchObject({ couponArrival: 'tmpl-0', waitlistPromoted: 'tmpl-4' });
  });

  it('given a missing purpose, then the problem names it in one line', () => {
    const config = sample();
    delete config.activityReminder;
    expect(parseSubscribeTemplates(config)).toEqual({ ok: false, problem: 'activityReminder is missing (the 活动开始提醒 template)' });
  });

  it('given mistakes in a keyword map, then each is named: not a keyword, not a field, a field that cannot fill the type, a shared id', () => {
    const problem = (patch: (config: Record<string, any>) => void) => {
      const config = sample() as Record<string, any>;
      patch(config);
      const parsed = parseSubscribeTemplates(config);
      return parsed.ok ? null : parsed.problem;
    };
    expect(problem((c) => (c.couponArrival.keywords = { title: 'couponName' }))).toMatch(/^couponArrival\.keywords\.title: not a WeChat keyword/);
    expect(problem((c) => (c.couponArrival.keywords = { thing1: 'couponTitle' }))).toMatch(/^couponArrival\.keywords\.thing1: couponTitle is not a field of couponArrival/);
    expect(problem((c) => (c.couponArrival.keywords = { amount1: 'validUntil' }))).toBe('couponArrival.keywords.amount1: validUntil cannot fill a amount keyword');
    expect(problem((c) => (c.waitlistPromoted.id = 'tmpl-0'))).toBe('waitlistPromoted.id: the same template as couponArrival');
    expect(problem((c) => (c.couponArrival.id = ''))).toMatch(/^couponArrival\.id: /);
    expect(problem((c) => (c.orderShipped = { id: 'x', keywords: { thing1: 'note' } }))).toMatch(/^orderShipped is not a message purpose/);
    expect(problem((c) => (c.refundResult.keywords = { amount1: 'refundedAt' }))).toBe('refundResult.keywords.amount1: refundedAt cannot fill a amount keyword');
  });
});
