import Taro from '@tarojs/taro';
import { payInEmulator } from './endpoints';
import { ApiError } from './errors';

// The H5 demo's stand-in for the WeChat Pay sheet: what the emulator's answer to a pay tap means to the app.

const answers: Array<{ statusCode: number; data: unknown }> = [];
const requested: string[] = [];

beforeEach(() => {
  answers.length = 0;
  requested.length = 0;
  jest.spyOn(Taro, 'request').mockImplementation((async (options: { url: string }) => {
    requested.push(options.url);
    return answers.shift()!;
  }) as unknown as typeof Taro.request);
});
afterEach(() => jest.restoreAllMocks());

describe('payInEmulator', () => {
  it('given a payable order, then it is paid', async () => {
    answers.push({ statusCode: 200, data: { transaction: { trade_state: 'SUCCESS' } } });
    await expect(payInEmulator('wx123')).resolves.toBe('paid');
    expect(requested[0]).toMatch(/\/__emulator\/pay\/wx123$/);
  });

  it('given an order paid before (409 ORDERPAID, the server not yet confirming), then it is already paid, not an error', async () => {
    answers.push({ statusCode: 409, data: { code: 'ORDERPAID', message: 'order is SUCCESS' } });
    await expect(payInEmulator('wx123')).resolves.toBe('already_paid');
  });

  it('given a closed order, then it fails', async () => {
    answers.push({ statusCode: 409, data: { code: 'ORDERCLOSED', message: 'order is CLOSED' } });
    await expect(payInEmulator('wx123')).rejects.toEqual(new ApiError('UNKNOWN', 409));
  });
});
