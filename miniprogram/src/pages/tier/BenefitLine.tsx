import { View } from '@tarojs/components';

/** One benefit with its badge: a coloured circle holding one character, drawn without an emoji font. */
export function BenefitLine({ icon, text }: { icon: string; text: string }) {
  return (
    <View className='small' style={{ display: 'flex', alignItems: 'center', padding: '4px 0' }}>
      <View style={{ width: '20px', height: '20px', lineHeight: '20px', borderRadius: '10px', background: '#e8f8ef', color: '#07c160', fontSize: '11px', textAlign: 'center', marginRight: '8px', flexShrink: 0 }}>
        {icon}
      </View>
      <View>{text}</View>
    </View>
  );
}
