// The two undici modules the proxy loads instead of undici's index (http1-upstream.ts says why), named once so
// that the test that checks they are still undici's Pool and buildConnector names the same paths.
export const UNDICI_POOL_MODULE = 'undici/lib/dispatcher/pool';
export const UNDICI_CONNECT_MODULE = 'undici/lib/core/connect';
