/**
 * `@krbsim/transport`: how Kerberos messages travel. The KDC is a function
 * from request bytes to reply bytes; this package carries those bytes in
 * process, over UDP and TCP (RFC 4120 section 7.2), and records them in a
 * trace that renders as text, Mermaid, or a pcap Wireshark dissects, and
 * serves KDCs over MS-KKDCP (HTTPS KDC proxy, with test certificates). It
 * carries bytes and framing; it reads a message only where its job needs
 * it: a request's realm and type to admit, route or answer it with a
 * KRB-ERROR, the KDC-PROXY-MESSAGE wrapper, and whole messages to render a
 * trace.
 *
 * @packageDocumentation
 */

export {
  CERTIFICATE_BACKDATE_MS,
  type CertificateKeyType,
  type CreateCaOptions,
  createSelfSignedCa,
  type IssueServerCertificateOptions,
  issueServerCertificate,
  type PemCertificate,
} from '@krbsim/pki';
export {
  FaultyTransport,
  type FaultyTransportOptions,
  type TransportFault,
  type TransportRule,
} from './faulty-transport';
export { frameTcp, type TcpReadEvent, TcpRecordReader } from './framing';
export { InProcessTransport, type InProcessTransportOptions } from './in-process';
export { type ExchangeOptions, tcpExchange, udpExchange } from './kdc-exchange';
export {
  KDC_PROXY_MAX_MESSAGE,
  KdcProxy,
  type KdcProxyPostOptions,
  type KdcProxyRequest,
  type KdcProxyRoute,
  KdcProxyTransport,
  type KdcProxyTransportOptions,
  kdcProxyRoute,
  unframeKerbMessage,
} from './kdc-proxy';
export {
  KDC_PROXY_CONTENT_TYPE,
  type KdcProxyPath,
  type KdcProxyServer,
  type KdcProxyServerStats,
  type ServeKdcProxyOptions,
  serveKdcProxy,
} from './kdc-proxy-server';
export { type KdcServer, type ServeKdcOptions, serveKdc } from './kdc-server';
export {
  peekKrbErrorCode,
  peekRequestTarget,
  type RequestTarget,
  type TransportErrorContext,
  transportKrbError,
} from './krb-error';
export {
  describeMessage,
  isResponseTooBig,
  kpasswdMessageType,
  MESSAGE_TYPES,
  messageType,
} from './message-type';
export { type PcapOptions, tracePcap } from './pcap';
export type { KdcServerStats, TcpStats, UdpStats } from './server-stats';
export { type ServerTimers, systemTimers } from './server-timers';
export {
  kdcParticipant,
  mermaidText,
  Trace,
  type TraceEntry,
  type TraceOptions,
  type TraceProtocol,
  type TraceRecord,
  type TraceView,
} from './trace';
export { escapeHtml, type TraceHtmlOptions, type TraceMessageSide, traceHtml } from './trace-html';
export type { KdcHandler, KdcRequestInfo, KdcTransport, SendOptions, TransportKind } from './types';
export { kpasswdVerdict, type UdpDropReason, type UdpVerdict, udpVerdict } from './udp-admission';
export { type KdcAddress, UdpTcpTransport, type UdpTcpTransportOptions } from './udp-tcp-transport';
