import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureWechatPayKeys, WECHATPAY_KEY_FILES } from '../../src/emulator';
import { PUBLIC_KEY_SIGNING_KEY_FILE } from '../../src/emulator/keys';
import { APP_ID, getJson, MCH_ID, postJson, startHarness, TEMPLATE_IDS } from './harness';

let dataDir: string;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'membercard-emulator-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('ensureWechatPayKeys', () => {
  it('generates RSA-2048 keys, X.509 certificates and an APIv3 key once, then reuses the files', () => {
    const keyDir = path.join(dataDir, 'keys-only');
    const first = ensureWechatPayKeys(keyDir);
    expect(readdirSync(keyDir).sort()).toEqual([...Object.values(WECHATPAY_KEY_FILES), PUBLIC_KEY_SIGNING_KEY_FILE].sort());
    // The WeChat Pay public key is a key pair of its own, not the platform certificate's.
    expect(first.platformPublicKeyPem).not.toBe(new X509Certificate(first.platformCertPem).publicKey.export({ type: 'spki', format: 'pem' }));
    expect(first.platformPublicKeyId).toMatch(/^PUB_KEY_ID_\d{26}$/);
    const merchantCert = new X509Certificate(first.merchantCertPem);
    expect(merchantCert.serialNumber.toUpperCase()).toBe(first.merchantSerialNo);
    expect(first.merchantSerialNo).toMatch(/^[0-9A-F]{40}$/);
    expect(merchantCert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(merchantCert.checkPrivateKey(createPrivateKey(first.merchantPrivateKeyPem))).toBe(true);
    expect(first.platformSerialNo).not.toBe(first.merchantSerialNo);
    expect(first.apiV3Key).toMatch(/^[A-Za-z0-9]{32}$/);

    expect(ensureWechatPayKeys(keyDir)).toEqual(first);
    expect(ensureWechatPayKeys().merchantSerialNo).not.toBe(first.merchantSerialNo);
  });
});

describe('emulator state', () => {
  it('keeps keys, orders and subscribe quota across a restart on the same data dir', async () => {
    const emulatorDir = path.join(dataDir, 'emulator');
    const before = await startHarness({ dataDir: emulatorDir });
    const outTradeNo = `PERSIST${Date.now()}`;
    let prepayId: string;
    try {
      ({ prepayId } = await before.payClient.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 100, openid: 'emu_persist' }));
      await postJson(`${before.emulatorBaseUrl}/subscriptions`, { openid: 'emu_persist', templateIds: [TEMPLATE_IDS[0]] });
    } finally {
      await before.close();
    }
    expect(existsSync(path.join(emulatorDir, 'state.json'))).toBe(true);

    const after = await startHarness({ dataDir: emulatorDir });
    try {
      expect(after.emulator.keys).toEqual(before.emulator.keys);
      const order = await after.payClient.queryByOutTradeNo(outTradeNo);
      expect(order).toMatchObject({ appid: APP_ID, mchid: MCH_ID, trade_state: 'NOTPAY' });
      expect(after.emulator.store.state.subscribeQuota.emu_persist).toEqual({ [TEMPLATE_IDS[0]!]: 1 });
      const paid = await postJson(`${after.emulatorBaseUrl}/pay/${prepayId}?deliver=false`, {});
      expect(paid.body.transaction.trade_state).toBe('SUCCESS');
      expect((await getJson(`${after.emulatorBaseUrl}/stats`)).payApiRequests).toBe(1);
    } finally {
      await after.close();
    }
  });

  it('finishes a refund a restart caught PROCESSING (its timer is gone), so a query and the notification still end it', async () => {
    const emulatorDir = path.join(dataDir, 'emulator-refund');
    const outTradeNo = `PREFUND${Date.now()}`;
    // Long enough that the refund is still PROCESSING when the emulator stops.
    const before = await startHarness({ dataDir: emulatorDir, refundDelayMs: 60_000 });
    try {
      const { prepayId } = await before.payClient.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 990, openid: 'emu_refund' });
      await postJson(`${before.emulatorBaseUrl}/pay/${prepayId}?deliver=false`, {});
      const refund = await before.payClient.refund({ outTradeNo, outRefundNo: `R${outTradeNo}`, refundFen: 990, totalFen: 990, reason: '活动取消退款' });
      expect(refund.status).toBe('PROCESSING');
    } finally {
      await before.close();
    }

    const after = await startHarness({ dataDir: emulatorDir, refundDelayMs: 20 });
    try {
      const deadline = Date.now() + 5000;
      let status = (await after.payClient.queryRefund(`R${outTradeNo}`)).status;
      while (status === 'PROCESSING' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        status = (await after.payClient.queryRefund(`R${outTradeNo}`)).status;
      }
      expect(status).toBe('SUCCESS');
      const deliveries = after.emulator.store.state.deliveries.filter((delivery) => delivery.outTradeNo === outTradeNo);
      expect(deliveries.map((delivery) => delivery.eventType)).toContain('REFUND.SUCCESS');
    } finally {
      await after.close();
    }
  });
});
