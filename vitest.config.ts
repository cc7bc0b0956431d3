import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig, defineProject } from 'vitest/config'

// wrangler and the Workers runtime must not reach for the network in tests.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false'
process.env.WRANGLER_SEND_METRICS ??= 'false'

export default defineConfig({
  test: {
    projects: [
      defineProject({
        plugins: [
          cloudflareTest(({ inject }) => {
            const upstream = inject('replayUrl')
            return {
              wrangler: { configPath: './wrangler.jsonc' },
              miniflare: {
                bindings: {
                  OPENAI_BASE_URL: `${upstream}/v1`,
                  GEMINI_BASE_URL: upstream,
                  OPENAI_API_KEY: 'sk-test-openai-key',
                  GEMINI_API_KEY: 'test-gemini-key',
                  // Issue 8: the suite sends thousands of requests; tests that check limits set their own.
                  RATE_LIMIT: 'off',
                },
                // Issue 8: a second Workers Rate Limiting binding with a small limit, so a test can hit it
                // (the app reads RATE_LIMITER; the test passes this one in its place).
                ratelimits: { TEST_RATE_LIMITER: { namespace_id: '1002', simple: { limit: 3, period: 60 } } },
              },
            }
          }),
        ],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts', 'src/**/*.test.ts'],
          testTimeout: 20_000,
          globalSetup: ['test/replay/global-setup.ts'],
        },
      }),
      defineProject({
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/node/**/*.test.ts', 'test/e2e/**/*.test.ts', 'emulator/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      }),
    ],
  },
})
