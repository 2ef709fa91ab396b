/** The CORS proxy: allowlisted upstreams only, address checks where connections are made, streamed bodies. */
export { createProxyHandler, type ProxyHandlerOptions } from './handler';
export { defaultProxyConfig, proxyConfigFrom, matchesAllow, DEFAULT_ALLOW, type ProxyConfig } from './config';
export { forbiddenAddressReason, parseIPv4, parseIPv6, isIpLiteral } from './address';
export { ForbiddenAddressError, type Transport } from './transport';
export { createNodeTransport, type NodeTransportOptions } from './transport.node.js';
export { createProxyApp } from './app';
