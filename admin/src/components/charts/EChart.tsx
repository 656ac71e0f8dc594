import ReactEChartsCore from 'echarts-for-react/lib/core';
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { DatasetComponent, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsOption } from 'echarts';

// Only the chart types the console draws are registered, and this module is loaded lazily (see
// LazyChart), so ECharts sits in its own chunk and never slows the first screen.
echarts.use([BarChart, LineChart, PieChart, DatasetComponent, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

export interface EChartProps {
  option: EChartsOption;
  height?: number;
  testId?: string;
}

export default function EChart({ option, height = 300, testId }: EChartProps) {
  return (
    <div data-testid={testId} className="mc-chart">
      <ReactEChartsCore echarts={echarts} option={option} notMerge lazyUpdate style={{ height, width: '100%' }} />
    </div>
  );
}
