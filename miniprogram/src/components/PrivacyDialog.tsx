import { Button, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { answerPrivacyPrompt, subscribePrivacyPrompt } from '../lib/privacy';

/** The consent sheet WeChat requires before privacy APIs; the agree button is WeChat's own open-type. */
export function PrivacyDialog() {
  const [visible, setVisible] = useState(false);
  useEffect(() => subscribePrivacyPrompt(setVisible), []);
  if (!visible) return null;
  return (
    <View className='sheet-mask'>
      <View className='sheet'>
        <View className='sheet__title'>用户隐私保护提示</View>
        <View className='sheet__body'>
          在使用手机号绑定、扫码等功能前，请阅读并同意
          <View className='link' onClick={() => void Taro.openPrivacyContract({})}>
            《会员小程序隐私保护指引》
          </View>
          。我们仅将您的信息用于会员服务。
        </View>
        <View className='sheet__actions'>
          <Button className='btn btn--ghost' onClick={() => answerPrivacyPrompt(false)}>
            拒绝
          </Button>
          <Button
            id='agree-privacy'
            className='btn btn--primary'
            openType='agreePrivacyAuthorization'
            onAgreePrivacyAuthorization={() => answerPrivacyPrompt(true, 'agree-privacy')}
          >
            同意并继续
          </Button>
        </View>
      </View>
    </View>
  );
}
