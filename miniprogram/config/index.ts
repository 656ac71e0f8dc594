import path from 'node:path';
import { defineConfig, type UserConfigExport } from '@tarojs/cli';

// The API base URL is fixed at build time. H5 is served by the demo server itself, so a same-origin
// path works; a weapp build must be given the real https origin (WeChat only calls whitelisted https domains).
const defaultApiBase = process.env.TARO_ENV === 'h5' ? '/api/v1' : 'https://api.example.com/api/v1';
const apiBase = process.env.TARO_APP_API_BASE || defaultApiBase;

// @membercard/shared ships TypeScript source; Taro must compile it like the app's own files.
const sharedSource = path.resolve(__dirname, '../../shared/src');

// npm workspaces keep some of this app's packages (React 18 and its Taro plugin) in miniprogram/node_modules
// while Taro's own packages are hoisted to the root; let modules at the root find them too.
const localModules = path.resolve(__dirname, '../node_modules');
function resolveLocalModules(chain: { resolve: { modules: { add: (dir: string) => unknown } } }) {
  chain.resolve.modules.add('node_modules').add(localModules);
}

export default defineConfig<'webpack5'>(() => {
  const config: UserConfigExport<'webpack5'> = {
    projectName: 'membercard',
    date: '2025-01-01',
    designWidth: 750,
    deviceRatio: { 640: 2.34 / 2, 750: 1, 375: 2, 828: 1.81 / 2 },
    sourceRoot: 'src',
    outputRoot: `dist/${process.env.TARO_ENV}`,
    plugins: [],
    env: { TARO_APP_API_BASE: JSON.stringify(apiBase) },
    framework: 'react',
    compiler: { type: 'webpack5', prebundle: { enable: false } },
    cache: { enable: false },
    mini: {
      // Modules used only by sub-packages move out of the main package, which WeChat caps at 2 MB.
      optimizeMainPackage: { enable: true },
      compile: { include: [sharedSource] },
      webpackChain: resolveLocalModules,
      postcss: {
        pxtransform: { enable: true, config: {} },
        cssModules: { enable: false },
      },
    },
    h5: {
      // The demo server serves this build under /h5/.
      publicPath: '/h5/',
      compile: { include: [sharedSource] },
      webpackChain: resolveLocalModules,
      staticDirectory: 'static',
      // Hash routing: deep links work behind any static file server; assets load from /h5/ (publicPath).
      router: { mode: 'hash' },
      output: { filename: 'js/[name].[contenthash:8].js', chunkFilename: 'js/[name].[contenthash:8].js' },
      miniCssExtractPluginOption: { ignoreOrder: true, filename: 'css/[name].[contenthash:8].css', chunkFilename: 'css/[name].[contenthash:8].css' },
      postcss: {
        autoprefixer: { enable: true, config: {} },
        cssModules: { enable: false },
      },
    },
  };
  return config;
});
