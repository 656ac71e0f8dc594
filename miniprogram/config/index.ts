import fs from 'node:fs';
import path from 'node:path';
import { defineConfig, type UserConfigExport } from '@tarojs/cli';

// The API base URL is fixed at build time. H5 is served by the demo server itself, so a same-origin
// path works; a weapp build must be given the real https origin (WeChat only calls the https domains
// listed under 服务器域名). It comes from TARO_APP_API_BASE, else from `membercard.apiBase` in the
// untracked project.private.config.json beside project.config.json (where WeChat DevTools also reads the
// appid), so a brand builds its own app without editing tracked files.
const privateConfigFile = path.resolve(__dirname, '../../project.private.config.json');

function privateApiBase(): string | undefined {
  if (!fs.existsSync(privateConfigFile)) return undefined;
  const parsed = JSON.parse(fs.readFileSync(privateConfigFile, 'utf8')) as { membercard?: { apiBase?: unknown } };
  const value = parsed.membercard?.apiBase;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^https:\/\/[^/]+/.test(value)) {
    throw new Error(`${privateConfigFile}: membercard.apiBase must be an https URL such as https://api.example.com/api/v1`);
  }
  return value.replace(/\/+$/, '');
}

const PLACEHOLDER_API_BASE = 'https://api.example.com/api/v1';
const apiBase =
  process.env.TARO_APP_API_BASE || (process.env.TARO_ENV === 'h5' ? '/api/v1' : (privateApiBase() ?? PLACEHOLDER_API_BASE));
if (process.env.TARO_ENV === 'weapp' && apiBase === PLACEHOLDER_API_BASE) {
  console.warn(`[membercard] weapp build calls the placeholder ${PLACEHOLDER_API_BASE}; set membercard.apiBase in project.private.config.json or TARO_APP_API_BASE`);
}

// @membercard/shared ships TypeScript source; Taro must compile it like the app's own files.
const sharedSource = path.resolve(__dirname, '../../shared/src');

// npm workspaces keep some of this app's packages (React 18, its Taro plugin, @tarojs/taro and @tarojs/router,
// whose peers want React 18 while the console keeps React 19 at the root) in miniprogram/node_modules while the
// rest of Taro is hoisted to the root; let modules at the root find them too.
const localModules = path.resolve(__dirname, '../node_modules');

// @tarojs/taro-h5 (hoisted) gets its own nested @tarojs/router. Taro's H5 platform plugin means to alias
// '@tarojs/router' to one file, but resolves it from its own folder at the root, finds nothing and leaves the
// bare name; so the app's entry (which creates the router) and taro-h5's navigation APIs (which use it) each
// bundle a copy, and Taro.reLaunch in the second copy finds no history: "reading 'listen'", a blank page.
// Pin the router to the app's copy; the plugin already points every '@tarojs/taro' import at its H5 API.
const appRouter = path.join(localModules, '@tarojs/router');

type WebpackChain = Parameters<NonNullable<H5Config['webpackChain']>>[0];
type H5Config = NonNullable<Exclude<UserConfigExport<'webpack5'>, (...args: never[]) => unknown>['h5']>;

function resolveLocalModules(chain: WebpackChain) {
  chain.resolve.modules.add('node_modules').add(localModules);
  chain.plugin('one-copy-of-each-taro-package').use(OneCopyOfEachTaroPackage);
}

function resolveH5Modules(chain: WebpackChain) {
  resolveLocalModules(chain);
  chain.resolve.alias.set('@tarojs/router$', appRouter);
}

/**
 * Fails the build when a Taro package is bundled from two folders: Taro keeps state (the router's history,
 * the current page) in module scope, so a second copy breaks at run time, not at build time.
 */
class OneCopyOfEachTaroPackage {
  apply(compiler: import('webpack').Compiler) {
    compiler.hooks.afterCompile.tap('OneCopyOfEachTaroPackage', (compilation) => {
      const folders = new Map<string, Set<string>>();
      for (const module of compilation.modules) {
        const resource = (module as { resource?: string }).resource;
        const match = resource && /^(.*node_modules\/(@tarojs\/[^/]+))\//.exec(resource.split(path.sep).join('/'));
        if (!match) continue;
        const [, folder, name] = match;
        folders.set(name, (folders.get(name) ?? new Set()).add(folder));
      }
      for (const [name, found] of folders) {
        if (found.size > 1) {
          const list = [...found].map((folder) => path.relative(process.cwd(), folder)).join(', ');
          compilation.errors.push(new compiler.webpack.WebpackError(`${name} is bundled twice (${list}); alias it to one copy in config/index.ts`));
        }
      }
    });
  }
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
      webpackChain: resolveH5Modules,
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
